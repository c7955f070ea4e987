package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThat;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.avro.Action;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Window statistics in, expected verdict out: every {@code golden/*.json} fixture is one dynamic test. Fixtures
 * describe arms compactly (users, requests per user, error and conversion counts or rates, latency as a lognormal
 * median/p99 or explicit samples); the test builds real sketches from them.
 */
final class GoldenVerdictTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TestFactory
  Stream<DynamicTest> goldenCases() throws IOException, URISyntaxException {
    URL folder = GoldenVerdictTest.class.getResource("/golden");
    assertThat(folder).as("golden fixtures folder").isNotNull();
    List<Path> files;
    try (Stream<Path> listing = Files.list(Path.of(folder.toURI()))) {
      files = listing.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(15);
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> run(file)));
  }

  private static void run(Path file) throws IOException {
    JsonNode fixture;
    try (InputStream in = Files.newInputStream(file)) {
      fixture = MAPPER.readTree(in);
    }
    RolloutPlan plan = fixture.has("plan") ? MAPPER.treeToValue(fixture.get("plan"), RolloutPlan.class)
        : RolloutPlan.defaults();
    JudgeConfig config = fixture.has("thresholds")
        ? MAPPER.treeToValue(fixture.get("thresholds"), JudgeConfig.class) : JudgeConfig.defaults();
    FlagWindowStats cumulative = TestStats.window(0, arms(fixture.get("cumulative")));
    FlagWindowStats latest = fixture.has("latest") ? TestStats.window(0, arms(fixture.get("latest"))) : cumulative;
    FlagState state = state(fixture.get("state"));
    JsonNode timingNode = fixture.path("timing");
    StepTiming timing = new StepTiming(timingNode.path("windowsAtStep").asInt(5),
        timingNode.path("windowsSinceLastChange").asInt(5));
    boolean optedIn = fixture.path("optedIn").asBoolean(false);

    Verdict verdict = new Judge(config).judge(latest, cumulative, state, plan, optedIn, timing);
    String description = fixture.path("description").asText() + "\n  reason: " + verdict.reason()
        + "\n  findings: " + verdict.findings();
    JsonNode expect = fixture.get("expect");

    assertThat(verdict.action()).as(description).isEqualTo(Action.valueOf(expect.get("action").asText()));
    if (expect.has("targetPercent")) {
      assertThat(verdict.targetPercent()).as(description).isEqualTo(expect.get("targetPercent").asInt());
    }
    if (expect.has("fromPercent")) {
      assertThat(verdict.fromPercent()).as(description).isEqualTo(expect.get("fromPercent").asInt());
    }
    if (expect.has("mode")) {
      assertThat(verdict.mode().name()).as(description).isEqualTo(expect.get("mode").asText());
    }
    if (expect.has("allowed")) {
      Set<Action> allowed = EnumSet.noneOf(Action.class);
      expect.get("allowed").forEach(a -> allowed.add(Action.valueOf(a.asText())));
      assertThat(verdict.allowedActions()).as(description).isEqualTo(allowed);
    }
    if (expect.has("percentInferred")) {
      assertThat(verdict.percentInferred()).as(description).isEqualTo(expect.get("percentInferred").asBoolean());
    }
    Iterator<Map.Entry<String, JsonNode>> findings = expect.path("findings").fields();
    while (findings.hasNext()) {
      Map.Entry<String, JsonNode> expected = findings.next();
      String[] key = expected.getKey().split("/");
      List<String> actual = verdict.findings().stream()
          .filter(f -> f.metric().equals(key[0]) && f.variant().equals(key[1]))
          .map(f -> f.verdict().name()).toList();
      assertThat(actual).as(description + "\n  finding " + expected.getKey()).containsExactly(expected.getValue().asText());
    }
    for (JsonNode fragment : expect.path("reasonContains")) {
      assertThat(verdict.reason()).as(description).contains(fragment.asText());
    }
    // Every verdict must pass its own combiner rule, and judging is deterministic.
    assertThat(verdict.permits(verdict.action(), verdict.targetPercent())).as(description).isTrue();
    assertThat(new Judge(config).judge(latest, cumulative, state, plan, optedIn, timing)).isEqualTo(verdict);
  }

  private static FlagState state(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    return TestStats.state(node.has("rolloutPercent") && !node.get("rolloutPercent").isNull()
            ? node.get("rolloutPercent").asInt() : null,
        node.path("managed").asBoolean(false), node.path("paused").asBoolean(false),
        node.path("enabled").asBoolean(true));
  }

  private static Map<String, VariantStats> arms(JsonNode node) {
    Map<String, VariantStats> variants = new LinkedHashMap<>();
    long firstUserId = 1;
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> entry = fields.next();
      TestStats.Arm arm = arm(entry.getValue(), firstUserId);
      variants.put(entry.getKey(), TestStats.variant(arm));
      firstUserId += arm.users();
    }
    return variants;
  }

  private static TestStats.Arm arm(JsonNode node, long firstUserId) {
    long users = node.path("users").asLong(0);
    long requests = node.has("requests") ? node.get("requests").asLong()
        : users * node.path("requestsPerUser").asLong(2);
    long errors = node.has("errors") ? node.get("errors").asLong()
        : Math.round(node.path("errorRate").asDouble(0) * requests);
    long converting = node.has("convertingUsers") ? node.get("convertingUsers").asLong()
        : Math.round(node.path("conversionRate").asDouble(0) * users);
    JsonNode latency = node.path("latency");
    DDSketch sketch;
    if (latency.has("samples")) {
      List<Double> values = new ArrayList<>();
      latency.get("samples").forEach(v -> values.add(v.asDouble()));
      sketch = TestStats.samples(values.stream().mapToDouble(Double::doubleValue).toArray());
    } else {
      sketch = TestStats.lognormalGrid(requests, latency.path("medianMs").asDouble(120),
          latency.path("p99Ms").asDouble(450));
    }
    return new TestStats.Arm(users, requests, errors, converting, sketch, firstUserId);
  }
}
