package dev.rollguard.streams.decisions;

import static dev.rollguard.streams.decisions.TestWindows.ENV;
import static dev.rollguard.streams.decisions.TestWindows.T0;
import static dev.rollguard.streams.decisions.TestWindows.healthy;
import static dev.rollguard.streams.decisions.TestWindows.state;
import static dev.rollguard.streams.decisions.TestWindows.window;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.judge.RolloutPolicy;
import dev.rollguard.schemas.serde.InMemorySchemaRegistryClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decision stage's topology in TopologyTestDriver: window stats and flag state in, one decision per window out. */
final class DecisionTopologyTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:05:00Z"));
  private final DecisionStageConfig config = DecisionStageConfig.defaults("dummy:9092");
  private final DecisionSerdes serdes = DecisionSerdes.of(new InMemorySchemaRegistryClient());
  private final DecisionMetrics metrics = new DecisionMetrics(new SimpleMeterRegistry());
  @TempDir
  Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<String, FlagWindowStats> windows;
  private TestInputTopic<String, FlagState> states;
  private TestOutputTopic<String, RolloutDecision> decisions;

  @BeforeEach
  void start() {
    Properties props = DecisionTopology.streamsProperties(config.withStateDir(stateDir.toString()), serdes,
        metrics);
    driver = new TopologyTestDriver(DecisionTopology.buildTopology(config, serdes,
        DecisionCore.rulesOnly(RolloutPolicy.defaults(), clock), metrics, clock), props);
    windows = driver.createInputTopic(config.windowStatsTopic(), Serdes.String().serializer(),
        serdes.windowStats().serializer());
    states = driver.createInputTopic(config.flagStateTopic(), Serdes.String().serializer(),
        serdes.flagState().serializer());
    decisions = driver.createOutputTopic(config.decisionsTopic(), Serdes.String().deserializer(),
        serdes.decisions().deserializer());
  }

  @AfterEach
  void close() {
    driver.close();
  }

  private void pipe(FlagWindowStats w) {
    windows.pipeInput(ENV + "/" + w.getFlag(), w, w.getWindowEnd());
  }

  @Test
  void oneDecisionPerFlagAndWindowKeyedLikeTheWindowStats() {
    states.pipeInput(ENV + "/checkout", state("checkout", 5, 7, T0.minusSeconds(3600)));
    for (int i = 0; i < 3; i++) {
      pipe(healthy("checkout", i, 5));
      pipe(healthy("search", i, 10));
    }

    List<KeyValue<String, RolloutDecision>> out = decisions.readKeyValuesToList();
    assertThat(out).hasSize(6);
    assertThat(out).extracting(kv -> kv.key)
        .containsExactly("production/checkout", "production/search", "production/checkout", "production/search",
            "production/checkout", "production/search");
    List<RolloutDecision> checkout = out.stream().filter(kv -> kv.key.endsWith("/checkout")).map(kv -> kv.value).toList();
    assertThat(checkout).extracting(RolloutDecision::getAction).containsExactly(Action.HOLD, Action.INCREASE,
        Action.INCREASE);
    assertThat(checkout).extracting(RolloutDecision::getMode).containsOnly(Mode.ENFORCE);
    assertThat(checkout).extracting(RolloutDecision::getDecidedBy).containsOnly(DecidedBy.RULES);
    assertThat(checkout).extracting(RolloutDecision::getWindowEnd)
        .containsExactly(T0.plusSeconds(60), T0.plusSeconds(120), T0.plusSeconds(180));
    List<RolloutDecision> search = out.stream().filter(kv -> kv.key.endsWith("/search")).map(kv -> kv.value).toList();
    assertThat(search).extracting(RolloutDecision::getMode).containsOnly(Mode.ADVISORY);
    assertThat(search.get(1).getReason()).contains("inferred");
    assertThat(metrics.decisionCount(DecidedBy.RULES)).isEqualTo(6);
  }

  @Test
  void aReplayedWindowProducesNothing() {
    states.pipeInput(ENV + "/checkout", state("checkout", 5, 7, T0.minusSeconds(3600)));
    pipe(healthy("checkout", 0, 5));
    pipe(healthy("checkout", 1, 5));
    pipe(healthy("checkout", 1, 5));
    pipe(healthy("checkout", 0, 5));

    assertThat(decisions.readValuesToList()).hasSize(2);
    assertThat(metrics.skippedCount("replay")).isEqualTo(2);
  }

  @Test
  void aNewFlagStateRestartsTheStepAndIsStoredWithTheProgress() {
    states.pipeInput(ENV + "/checkout", state("checkout", 5, 7, T0.minusSeconds(3600)));
    pipe(healthy("checkout", 0, 5));
    pipe(healthy("checkout", 1, 5));
    states.pipeInput(ENV + "/checkout", state("checkout", 10, 8, T0.plusSeconds(120)));
    pipe(healthy("checkout", 2, 10));

    List<RolloutDecision> out = decisions.readValuesToList();
    assertThat(out).extracting(RolloutDecision::getFromPercent).containsExactly(5, 5, 10);
    KeyValueStore<String, StepProgress> store = driver.getKeyValueStore(DecisionTopology.PROGRESS_STORE);
    StepProgress p = store.get("production/checkout");
    assertThat(p.stepPercent()).isEqualTo(10);
    assertThat(p.windowsAtStep()).isEqualTo(1);
    assertThat(p.lastStateEventId()).isEqualTo(8);
    assertThat(p.lastDecidedWindowEnd()).isEqualTo(T0.plusSeconds(180));
  }

  @Test
  void aFlagStateTombstoneMakesTheFlagUnknownAgain() {
    states.pipeInput(ENV + "/checkout", state("checkout", 5, 7, T0.minusSeconds(3600)));
    pipe(healthy("checkout", 0, 5));
    states.pipeInput(ENV + "/checkout", (FlagState) null);
    pipe(healthy("checkout", 1, 5));
    assertThat(decisions.readValuesToList()).extracting(RolloutDecision::getMode)
        .containsExactly(Mode.ENFORCE, Mode.ADVISORY);
  }

  @Test
  void undecodableInputIsCountedAndTheStageGoesOn() {
    driver.createInputTopic(config.windowStatsTopic(), Serdes.String().serializer(), Serdes.ByteArray().serializer())
        .pipeInput("production/x", new byte[] {1, 2, 3});
    driver.createInputTopic(config.flagStateTopic(), Serdes.String().serializer(), Serdes.ByteArray().serializer())
        .pipeInput("production/x", new byte[] {0, 0, 0, 0, 99});
    pipe(healthy("x", 0, 5));

    assertThat(decisions.readValuesToList()).hasSize(1).first()
        .extracting(RolloutDecision::getMode).isEqualTo(Mode.ADVISORY);
    assertThat(metrics.skippedCount("undecodable")).isEqualTo(1);
    assertThat(metrics.skippedCount("flag-state-undecodable")).isEqualTo(1);

    // The dead letter itself: DecisionStageIT, on a real broker. Under exactly-once TopologyTestDriver does not
    // capture the records a deserialization handler returns (the windows stage's test, at-least-once, does).
  }

  @Test
  void atOneHundredPercentTheLastControlArmIsTheBaselineAndARegressionRollsBack() {
    states.pipeInput(ENV + "/checkout", state("checkout", 75, 7, T0.minusSeconds(3600)));
    pipe(healthy("checkout", 0, 75));
    pipe(healthy("checkout", 1, 75));
    states.pipeInput(ENV + "/checkout", state("checkout", 100, 8, T0.plusSeconds(120)));
    pipe(healthy("checkout", 2, 100));
    pipe(healthy("checkout", 3, 100));

    KeyValueStore<String, StepProgress> store = driver.getKeyValueStore(DecisionTopology.PROGRESS_STORE);
    FlagWindowStats baseline = store.get("production/checkout").baseline();
    assertThat(baseline).as("the 75%% step's control arm, windows 0-1").isNotNull();
    assertThat(baseline.getVariants()).containsOnlyKeys(TestWindows.CONTROL);
    assertThat(baseline.getWindowStart()).isEqualTo(T0);
    assertThat(baseline.getWindowEnd()).isEqualTo(T0.plusSeconds(120));
    assertThat(baseline.getVariants().get(TestWindows.CONTROL).getRequests()).isEqualTo(2 * 2 * 2_500);

    // Treatment errors 1% -> 4%: under the 5% rollback guardrail, so only the comparison can catch it.
    pipe(window("checkout", 4, 100, 0.04));
    pipe(window("checkout", 5, 100, 0.04));
    List<RolloutDecision> out = decisions.readValuesToList();
    assertThat(out).extracting(RolloutDecision::getFromPercent).containsExactly(75, 75, 100, 100, 100, 100);
    assertThat(out.subList(2, 4)).extracting(RolloutDecision::getAction).containsOnly(Action.HOLD);
    assertThat(out.get(3).getReason()).startsWith("HOLD at 100%: the plan is complete")
        .contains("historical baseline (control disabled over 2026-11-24T12:00:00Z to 2026-11-24T12:02:00Z");
    RolloutDecision rollback = out.subList(4, 6).stream().filter(d -> d.getAction() == Action.ROLLBACK).findFirst()
        .orElseThrow(() -> new AssertionError("no rollback after the regression: " + out.get(5).getReason()));
    assertThat(rollback.getToPercent()).isZero();
    assertThat(rollback.getReason()).contains("regressed against the historical baseline: error rate")
        .contains("over 2026-11-24T12:00:00Z to 2026-11-24T12:02:00Z");
    assertThat(rollback.getFindings()).anySatisfy(f -> {
      assertThat(f.getMetric()).isEqualTo("error_rate");
      assertThat(f.getVerdict()).isEqualTo("REGRESSION");
    });
  }

  @Test
  void theBaselineIsKeptThroughStepsWithoutAControlArmAndReplacedByTheNextOneWithData() {
    states.pipeInput(ENV + "/checkout", state("checkout", 75, 7, T0.minusSeconds(3600)));
    pipe(healthy("checkout", 0, 75));
    states.pipeInput(ENV + "/checkout", state("checkout", 100, 8, T0.plusSeconds(60)));
    pipe(healthy("checkout", 1, 100));
    states.pipeInput(ENV + "/checkout", state("checkout", 50, 9, T0.plusSeconds(120)));
    pipe(healthy("checkout", 2, 50));

    KeyValueStore<String, StepProgress> store = driver.getKeyValueStore(DecisionTopology.PROGRESS_STORE);
    assertThat(store.get("production/checkout").baseline().getWindowStart())
        .as("the 100%% step had no control data: the 75%% step's baseline stays").isEqualTo(T0);

    states.pipeInput(ENV + "/checkout", state("checkout", 75, 10, T0.plusSeconds(180)));
    pipe(healthy("checkout", 3, 75));
    FlagWindowStats baseline = store.get("production/checkout").baseline();
    assertThat(baseline.getWindowStart()).as("the 50%% step's control replaces it").isEqualTo(T0.plusSeconds(120));
    assertThat(baseline.getVariants().get(TestWindows.CONTROL).getRequests()).isEqualTo(2 * 5_000);
  }

  @Test
  void stepProgressWithABaselineSurvivesItsSerde() {
    StepProgressSerde serde = new StepProgressSerde(serdes.windowStats(), config.windowStatsTopic());
    FlagWindowStats baseline = DecisionCore.controlArm(healthy("f", 1, 75));
    StepProgress p = new StepProgress(healthy("f", 3, 100), 100, true, 2, 2, 100, 99L, true, T0.plusSeconds(240),
        baseline);
    assertThat(serde.deserializer().deserialize("changelog", serde.serializer().serialize("changelog", p)))
        .isEqualTo(p);
  }

  @Test
  void stepProgressWrittenBeforeTheBaselineExistedStillReads() {
    StepProgressSerde serde = new StepProgressSerde(serdes.windowStats(), config.windowStatsTopic());
    // A version-1 document exactly as the encoder wrote it before the historical baseline was added.
    String cumulative = Base64.getEncoder().encodeToString(
        serdes.windowStats().serializer().serialize(config.windowStatsTopic(), healthy("f", 3, 25)));
    String old = "{\"v\":1,\"cumulative\":\"" + cumulative + "\",\"stepPercent\":25,\"percentKnown\":true,"
        + "\"windowsAtStep\":4,\"windowsSinceLastChange\":7,\"lastStatePercent\":25,\"lastStateEventId\":99,"
        + "\"lastStateEnabled\":true,\"lastDecidedWindowEndMs\":" + T0.plusSeconds(240).toEpochMilli() + "}";

    StepProgress p = serde.deserializer().deserialize("changelog", old.getBytes(StandardCharsets.UTF_8));
    assertThat(p).isEqualTo(new StepProgress(healthy("f", 3, 25), 25, true, 4, 7, 25, 99L, true,
        T0.plusSeconds(240)));
    assertThat(p.baseline()).isNull();
  }

  @Test
  void stepProgressSurvivesItsSerde() {
    StepProgressSerde serde = new StepProgressSerde(serdes.windowStats(), config.windowStatsTopic());
    StepProgress p = new StepProgress(healthy("f", 3, 25), 25, true, 4, 7, 25, 99L, true, T0.plusSeconds(240));
    byte[] bytes = serde.serializer().serialize("changelog", p);
    assertThat(serde.deserializer().deserialize("changelog", bytes)).isEqualTo(p);
    StepProgress empty = StepProgress.initial();
    assertThat(serde.deserializer().deserialize("changelog", serde.serializer().serialize("c", empty)))
        .isEqualTo(empty);
  }
}
