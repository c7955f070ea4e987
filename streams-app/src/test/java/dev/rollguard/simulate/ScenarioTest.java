package dev.rollguard.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

final class ScenarioTest {
  /** The example of the issue that defines the format, verbatim. */
  static final String ISSUE_EXAMPLE = """
      {
        "seed": 7,
        "windowSeconds": 60,
        "windows": 30,
        "flags": [{
          "name": "new-checkout",
          "environment": "production",
          "startPercent": 5,
          "managed": true,
          "plan": {"steps": [1, 5, 10, 25, 50, 75, 100], "minDwellWindows": 2},
          "usersPerWindow": 10000,
          "requestsPerUser": 2,
          "control":   {"errorRate": 0.010, "latencyMedianMs": 120, "latencyP99Ms": 450, "conversionRate": 0.05},
          "treatment": {"errorRate": 0.010, "latencyMedianMs": 120, "latencyP99Ms": 450, "conversionRate": 0.05},
          "changes": [{"atWindow": 12, "treatment": {"errorRate": 0.03}}],
          "assignmentBias": 0.0
        }]
      }
      """;

  private static String withFlag(String flagFields) {
    return """
        {"seed": 1, "windowSeconds": 60, "windows": 10, "flags": [{"name": "f", "usersPerWindow": 100,
         "requestsPerUser": 1,
         "control": {"errorRate": 0.01, "latencyMedianMs": 100, "latencyP99Ms": 300, "conversionRate": 0.05},
         "treatment": {"errorRate": 0.01, "latencyMedianMs": 100, "latencyP99Ms": 300, "conversionRate": 0.05}
         %s}]}
        """.formatted(flagFields);
  }

  @Test
  void readsTheIssueExample() {
    Scenario s = Scenario.parse(ISSUE_EXAMPLE);
    assertThat(s.seed()).isEqualTo(7);
    assertThat(s.windows()).isEqualTo(30);
    Scenario.Flag f = s.flags().get(0);
    assertThat(f.managed()).isTrue();
    assertThat(f.plan().steps()).containsExactly(1, 5, 10, 25, 50, 75, 100);
    assertThat(f.plan().minDwellWindows()).isEqualTo(2);
    assertThat(f.profilesAt(11).treatment().errorRate()).isEqualTo(0.010);
    assertThat(f.profilesAt(12).treatment().errorRate()).isEqualTo(0.03);
    assertThat(f.profilesAt(12).treatment().latencyP99Ms()).isEqualTo(450);
    assertThat(f.profilesAt(29).control().errorRate()).isEqualTo(0.010);
  }

  @Test
  void optionalFieldsTakeTheirDefaults() {
    Scenario.Flag f = Scenario.parse(withFlag("")).flags().get(0);
    assertThat(f.environment()).isEqualTo("production");
    assertThat(f.startPercent()).isEqualTo(1);
    assertThat(f.managed()).isFalse();
    assertThat(f.plan()).isNull();
    assertThat(f.changes()).isEmpty();
    assertThat(f.assignmentBias()).isZero();
  }

  @Test
  void namesTheBadFieldInItsMessage() {
    assertThatThrownBy(() -> Scenario.parse(withFlag(", \"assignmentBias\": 1.0")))
        .isInstanceOf(InvalidScenarioException.class).hasMessageContaining("flags[0]")
        .hasMessageContaining("assignmentBias must be in [0, 1)");
    assertThatThrownBy(() -> Scenario.parse(withFlag(", \"errorrate\": 0.1")))
        .hasMessageContaining("flags[0]: unknown field 'errorrate'");
    assertThatThrownBy(() -> Scenario.parse(withFlag(", \"changes\": [{\"atWindow\": 10, \"treatment\": {}}]")))
        .hasMessageContaining("flags[0].changes[0].atWindow must be below windows (10), got 10");
    assertThatThrownBy(() -> Scenario.parse(withFlag(", \"changes\": [{\"atWindow\": 3}]")))
        .hasMessageContaining("a change needs control or treatment");
    assertThatThrownBy(() -> Scenario.parse(withFlag(
        ", \"changes\": [{\"atWindow\": 3, \"treatment\": {\"latencyP99Ms\": 50}}]")))
        .hasMessageContaining("latencyP99Ms (50.0) must not be below latencyMedianMs (100.0)");
    assertThatThrownBy(() -> Scenario.parse(withFlag(", \"plan\": {\"steps\": [50, 10]}")))
        .hasMessageContaining("steps must be strictly increasing");
    assertThatThrownBy(() -> Scenario.parse(ISSUE_EXAMPLE.replace("\"seed\": 7,", "")))
        .hasMessageContaining("seed");
    assertThatThrownBy(() -> Scenario.parse(ISSUE_EXAMPLE.replace(", \"conversionRate\": 0.05}", "}")))
        .hasMessageContaining("control needs errorRate, latencyMedianMs, latencyP99Ms and conversionRate");
    assertThatThrownBy(() -> Scenario.parse("{\"seed\": 1,"))
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void badThresholdsFailBeforeTheRun() {
    Scenario s = Scenario.parse(withFlag(", \"thresholds\": {\"alpha\": 2}"));
    assertThatThrownBy(() -> Simulation.policyFor(s)).isInstanceOf(InvalidScenarioException.class)
        .hasMessageContaining("alpha must be in (0, 1)");
    assertThat(Simulation.policyFor(Scenario.parse(withFlag(", \"thresholds\": {\"minRequestsPerArm\": 50}")))
        .thresholdsFor("f", "production").minRequestsPerArm()).isEqualTo(50);
  }
}
