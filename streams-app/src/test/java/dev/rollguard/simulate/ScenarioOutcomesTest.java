package dev.rollguard.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.Finding;
import dev.rollguard.avro.Mode;
import dev.rollguard.judge.RolloutPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs every shipped scenario under {@code scenarios/} through the simulator (real topology, DecisionCore, rules
 * only) and pins the behaviour each one is there to show. Outcomes, not bytes: a judge tweak may move a decision by a
 * window, but a regression must still be rolled back soon after it starts and a healthy rollout must still climb.
 */
final class ScenarioOutcomesTest {
  static final Path SCENARIOS = Path.of("..", "scenarios");
  /** Windows allowed between a regression's start and its rollback. */
  static final int DETECTION_WINDOWS = 4;

  private static final Map<String, SimulationResult> RESULTS = new ConcurrentHashMap<>();

  static Scenario scenario(String name) {
    return Scenario.load(SCENARIOS.resolve(name + ".json"));
  }

  static SimulationResult run(String name) {
    return RESULTS.computeIfAbsent(name, n -> {
      try (Simulator simulator = Simulator.rulesOnly(scenario(n))) {
        SimulationResult result = simulator.run(d -> { }, null);
        assertThat(result.deadLettered()).as("dead letters in %s", n).isZero();
        return result;
      }
    });
  }

  @Test
  void everyShippedScenarioIsValid() throws IOException {
    try (Stream<Path> files = Files.list(SCENARIOS)) {
      List<Path> json = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
      assertThat(json).extracting(p -> p.getFileName().toString()).contains("healthy.json", "error-regression.json",
          "latency-regression.json", "conversion-drop.json", "srm.json", "low-traffic.json", "two-flags.json",
          "full-size.json", "regression-after-full-rollout.json");
      json.forEach(Scenario::load);
    }
    Scenario.Flag full = scenario("full-size").flags().get(0);
    assertThat(full.usersPerWindow()).isEqualTo(10_000);
    assertThat(full.requestsPerUser()).isEqualTo(2);
    assertThat(scenario("full-size").windows()).isEqualTo(30);
  }

  @Test
  void healthyClimbsThePlanStepByStepAndNeverRollsBack() {
    SimulationResult result = run("healthy");
    List<SimulatedDecision> decisions = result.decisionsFor("new-checkout");
    assertThat(decisions).hasSize(scenario("healthy").windows());
    assertThat(decisions).extracting(SimulatedDecision::action).doesNotContain(Action.ROLLBACK, Action.KILL);
    RolloutPlan plan = RolloutPlan.defaults();
    for (SimulatedDecision d : decisions) {
      if (d.action() == Action.INCREASE) {
        assertThat(d.toPercent()).as("window %d goes to the next step only", d.window())
            .isEqualTo(plan.nextStep(d.fromPercent()));
      }
    }
    assertThat(result.flags().get("production/new-checkout").finalPercent()).isGreaterThanOrEqualTo(50);
    assertClosedLoop(result);
  }

  @Test
  void errorRegressionIsRolledBackSoonAfterItStartsAndNeverIncreasedAgain() {
    assertRolledBackAfterChange("error-regression", "new-checkout", "error_rate");
  }

  @Test
  void latencyRegressionIsRolledBackSoonAfterItStarts() {
    assertRolledBackAfterChange("latency-regression", "search-v2", "latency_p99");
  }

  @Test
  void conversionDropIsRolledBackSoonAfterItStarts() {
    assertRolledBackAfterChange("conversion-drop", "new-pricing", "conversion");
  }

  @Test
  void aRegressionAfterTheFullRolloutIsRolledBackAgainstTheHistoricalBaseline() {
    String name = "regression-after-full-rollout";
    int change = scenario(name).flags().get(0).changes().get(0).atWindow();
    List<SimulatedDecision> decisions = run(name).decisionsFor("new-checkout");
    // The climb: the flag is at 100% before the regression starts, so no live control arm is left to compare with.
    assertThat(decisions.stream().filter(d -> d.window() < change)).extracting(SimulatedDecision::toPercent)
        .as("percent asked for before the change").contains(100);
    SimulatedDecision rollback = decisions.stream().filter(d -> d.action() == Action.ROLLBACK).findFirst()
        .orElseThrow(() -> new AssertionError(name + " was never rolled back"));
    assertThat(rollback.fromPercent()).isEqualTo(100);
    assertThat(rollback.decision().getReason()).contains("regressed against the historical baseline")
        .contains("compared against the historical baseline (control disabled over");
    assertRolledBackAfterChange(name, "new-checkout", "error_rate");
  }

  @Test
  void sampleRatioMismatchHoldsWithADataQualityFindingAndNeverIncreases() {
    SimulationResult result = run("srm");
    List<SimulatedDecision> decisions = result.decisionsFor("new-checkout");
    assertThat(decisions).extracting(SimulatedDecision::action).containsOnly(Action.HOLD);
    int first = decisions.stream().filter(d -> hasFinding(d, "srm", "DATA_QUALITY")).mapToInt(SimulatedDecision::window)
        .min().orElse(-1);
    assertThat(first).as("first window with a data-quality SRM finding").isBetween(0, 3);
    assertThat(decisions.stream().filter(d -> d.window() >= first))
        .allSatisfy(d -> {
          assertThat(hasFinding(d, "srm", "DATA_QUALITY")).isTrue();
          assertThat(d.decision().getReason()).contains("sample-ratio mismatch");
        });
  }

  @Test
  void lowTrafficHoldsAndNeverActsOnTooLittleData() {
    SimulationResult result = run("low-traffic");
    List<SimulatedDecision> decisions = result.decisionsFor("rare-feature");
    assertThat(decisions).isNotEmpty();
    assertThat(decisions).extracting(SimulatedDecision::action).containsOnly(Action.HOLD);
    assertThat(decisions).allSatisfy(d -> assertThat(d.decision().getReason()).contains("not enough data"));
    assertThat(result.flags().get("production/rare-feature").finalPercent())
        .isEqualTo(scenario("low-traffic").flags().get(0).startPercent());
  }

  @Test
  void twoFlagsAreIndependent() {
    SimulationResult both = run("two-flags");
    // new-checkout is configured exactly as in healthy.json, with the same seed: each flag has its own traffic and
    // its own random stream, so its decisions must be identical, byte for byte, to its run alone.
    List<String> alone = run("healthy").decisionsFor("new-checkout").stream().map(DecisionJson::line).toList();
    List<String> together = both.decisionsFor("new-checkout").stream().map(DecisionJson::line).toList();
    assertThat(together).isEqualTo(alone);
    assertRolledBackAfterChange("two-flags", "search-v2", "error_rate");
    assertClosedLoop(both);
  }

  private static void assertRolledBackAfterChange(String name, String flag, String metric) {
    SimulationResult result = run(name);
    Scenario.Flag config = scenario(name).flags().stream().filter(f -> f.name().equals(flag)).findFirst()
        .orElseThrow();
    int change = config.changes().get(0).atWindow();
    List<SimulatedDecision> decisions = result.decisionsFor(flag);
    assertThat(decisions).hasSize(scenario(name).windows());
    assertThat(decisions.stream().filter(d -> d.window() < change)).extracting(SimulatedDecision::action)
        .as("before the change").doesNotContain(Action.ROLLBACK, Action.KILL);
    SimulatedDecision rollback = decisions.stream()
        .filter(d -> d.action() == Action.ROLLBACK || d.action() == Action.KILL).findFirst().orElseThrow(
            () -> new AssertionError(name + ": " + flag + " was never rolled back"));
    assertThat(rollback.window()).as("%s: rollback window (change at %d)", name, change)
        .isBetween(change, change + DETECTION_WINDOWS);
    assertThat(hasFinding(rollback, metric, "REGRESSION") || hasFinding(rollback, metric, "KILL"))
        .as("%s: the rollback cites a %s regression: %s", name, metric, rollback.decision().getReason()).isTrue();
    assertThat(decisions.stream().filter(d -> d.window() >= change)).extracting(SimulatedDecision::action)
        .as("%s: no increase after the change", name).doesNotContain(Action.INCREASE);
    FlagSummary summary = result.flags().get("production/" + flag);
    assertThat(summary.finalPercent() == 0 || !summary.enabled()).as("%s ends off or at 0%%", flag).isTrue();
    assertClosedLoop(result);
  }

  /** ENFORCE decisions move the flag: each decision starts where the previous one of its flag asked to go. */
  private static void assertClosedLoop(SimulationResult result) {
    result.flags().values().forEach(summary -> {
      List<SimulatedDecision> decisions = result.decisionsFor(summary.flag());
      assertThat(decisions.get(0).fromPercent()).isEqualTo(summary.startPercent());
      for (int i = 1; i < decisions.size(); i++) {
        SimulatedDecision previous = decisions.get(i - 1);
        assertThat(previous.decision().getMode()).isEqualTo(Mode.ENFORCE);
        if (previous.action() != Action.KILL) {
          assertThat(decisions.get(i).fromPercent()).as("%s window %d", summary.flag(), decisions.get(i).window())
              .isEqualTo(previous.toPercent());
        }
      }
    });
  }

  private static boolean hasFinding(SimulatedDecision d, String metric, String verdict) {
    for (Finding f : d.decision().getFindings()) {
      if (f.getMetric().equals(metric) && f.getVerdict().equals(verdict)) {
        return true;
      }
    }
    return false;
  }
}
