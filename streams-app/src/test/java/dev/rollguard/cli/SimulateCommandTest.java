package dev.rollguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code rollguard simulate} run as a user runs it: arguments in, JSON lines on stdout, summary on stderr. */
final class SimulateCommandTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir
  Path dir;

  /** Two small flags, one of which regresses: enough to exercise the loop in a few seconds. */
  private Path scenario(long seed) throws IOException {
    String json = """
        {"seed": %d, "windowSeconds": 30, "windows": 6, "flags": [
          {"name": "a", "environment": "production", "startPercent": 10, "managed": true,
           "plan": {"steps": [10, 50, 100], "minDwellWindows": 1}, "usersPerWindow": 600, "requestsPerUser": 2,
           "control":   {"errorRate": 0.01, "latencyMedianMs": 100, "latencyP99Ms": 300, "conversionRate": 0.05},
           "treatment": {"errorRate": 0.01, "latencyMedianMs": 100, "latencyP99Ms": 300, "conversionRate": 0.05}},
          {"name": "b", "usersPerWindow": 600, "requestsPerUser": 2, "startPercent": 50,
           "control":   {"errorRate": 0.01, "latencyMedianMs": 100, "latencyP99Ms": 300, "conversionRate": 0.05},
           "treatment": {"errorRate": 0.01, "latencyMedianMs": 100, "latencyP99Ms": 300, "conversionRate": 0.05},
           "changes": [{"atWindow": 2, "treatment": {"errorRate": 0.2}}]}]}
        """.formatted(seed);
    Path file = dir.resolve("scenario-" + seed + ".json");
    Files.writeString(file, json);
    return file;
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = new CommandLine(new SimulateCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env)).execute(args);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void sameSeedGivesTheSameOutputByteForByte() throws IOException {
    Path file = scenario(42);
    Run first = run(Map.of(), file.toString());
    Run second = run(Map.of(), file.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).isNotEmpty().isEqualTo(second.out());
    Run otherSeed = run(Map.of(), scenario(43).toString());
    assertThat(otherSeed.out()).isNotEqualTo(first.out());
  }

  @Test
  void printsOneJsonLinePerDecisionOnStdoutAndTheSummaryOnStderr() throws IOException {
    Run run = run(Map.of(), scenario(42).toString());
    assertThat(run.exit()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(12);
    for (String line : lines) {
      JsonNode d = MAPPER.readTree(line);
      assertThat(d.fieldNames()).toIterable().startsWith("window", "flag", "environment", "windowStart",
          "windowEnd", "action", "fromPercent", "toPercent", "decidedBy", "mode", "reason", "findings");
      assertThat(d.get("decidedBy").asText()).isEqualTo("RULES");
      assertThat(d.get("findings").isArray()).isTrue();
    }
    JsonNode first = MAPPER.readTree(lines.get(0));
    assertThat(first.get("window").asInt()).isZero();
    assertThat(first.get("windowStart").asText()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(first.get("windowEnd").asText()).isEqualTo("2026-01-01T00:00:30Z");
    // b is not managed: its decisions are advisory and never change its traffic.
    assertThat(lines.stream().map(this::json).filter(d -> d.get("flag").asText().equals("b")))
        .allSatisfy(d -> {
          assertThat(d.get("mode").asText()).isEqualTo("ADVISORY");
          assertThat(d.get("fromPercent").asInt()).isEqualTo(50);
        });
    assertThat(run.err()).contains("Summary").contains("a (production): 10% →").contains("first ROLLBACK");
  }

  @Test
  void writesTheDecisionsToTheOutFileInstead() throws IOException {
    Path out = dir.resolve("decisions.jsonl");
    Run run = run(Map.of(), scenario(42).toString(), "--out", out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEmpty();
    assertThat(Files.readAllLines(out)).hasSize(12);
    assertThat(run.err()).contains("Decisions written to " + out);
  }

  @Test
  void refusesAnInvalidScenarioNamingTheField() throws IOException {
    Path bad = dir.resolve("bad.json");
    ObjectNode scenario = (ObjectNode) MAPPER.readTree(Files.readString(scenario(1)));
    ((ObjectNode) scenario.get("flags").get(1).get("treatment")).put("errorRate", 1.5);
    Files.writeString(bad, scenario.toString());
    Run run = run(Map.of(), bad.toString());
    assertThat(run.exit()).isEqualTo(SimulateCommand.EXIT_INVALID);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("flags[1].treatment").contains("errorRate must be in [0, 1], got 1.5");

    Run missing = run(Map.of(), dir.resolve("nope.json").toString());
    assertThat(missing.exit()).isEqualTo(SimulateCommand.EXIT_INVALID);
    assertThat(missing.err()).contains("scenario file not found");
  }

  @Test
  void advisorNeedsALocalAiServer() throws IOException {
    Run run = run(Map.of(), scenario(42).toString(), "--advisor");
    assertThat(run.exit()).isEqualTo(SimulateCommand.EXIT_INVALID);
    assertThat(run.err()).contains("LOCALAI_URL");
  }

  @Test
  void advisorChoosesWithinTheRulesAndFallsBackOutsideThem() throws IOException {
    try (MockWebServer localAi = new MockWebServer()) {
      // The model always says HOLD at 10%: within the rules for flag a while it is at 10% and HOLD is allowed,
      // outside them for b (at 50%).
      localAi.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          ObjectNode answer = MAPPER.createObjectNode().put("action", "HOLD").put("percent", 10)
              .put("confidence", 0.6).put("explanation", "Hold one more window.");
          ObjectNode completion = MAPPER.createObjectNode().put("id", "c").put("object", "chat.completion");
          ObjectNode choice = completion.putArray("choices").addObject();
          choice.put("index", 0).put("finish_reason", "stop");
          choice.putObject("message").put("role", "assistant").put("content", answer.toString());
          return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
              .body(completion.toString()).build();
        }
      });
      localAi.start();
      Run run = run(Map.of("LOCALAI_URL", localAi.url("/").toString(), "LOCALAI_MODEL", "test-model"),
          scenario(42).toString(), "--advisor");
      assertThat(run.exit()).as(run.err()).isZero();
      List<JsonNode> decisions = run.out().lines().map(this::json).toList();
      assertThat(decisions).hasSize(12);
      assertThat(localAi.getRequestCount()).isEqualTo(12);
      assertThat(decisions).allSatisfy(d -> assertThat(d.get("advice").get("model").asText()).isEqualTo("test-model"));
      assertThat(decisions.stream().filter(d -> d.get("flag").asText().equals("b")))
          .allSatisfy(d -> assertThat(d.get("decidedBy").asText()).isEqualTo("FALLBACK"));
      JsonNode firstOfA = decisions.stream().filter(d -> d.get("flag").asText().equals("a")).findFirst().orElseThrow();
      assertThat(firstOfA.get("decidedBy").asText()).isEqualTo("LLM");
      assertThat(firstOfA.get("action").asText()).isEqualTo("HOLD");
      assertThat(run.err()).contains("LocalAI advisor");
    }
  }

  private JsonNode json(String line) {
    try {
      return MAPPER.readTree(line);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + line, e);
    }
  }
}
