package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

final class RolloutPolicyTest {
  private static final String POLICY = """
      {
        "thresholds": {"alpha": 0.01, "minRequestsPerArm": 1000},
        "plan": {"steps": [1, 5, 25, 100], "minDwellWindows": 3},
        "managedFlags": ["new-checkout", "search-v2@production"],
        "overrides": [
          {"flag": "search-v2", "environment": "production", "plan": {"rollbackToPreviousStep": true},
           "thresholds": {"noIncreaseP99Ms": 800}},
          {"flag": "search-v2", "plan": {"minDwellWindows": 5, "rollbackToPreviousStep": false},
           "thresholds": {"noIncreaseP99Ms": 600}}
        ]
      }
      """;

  @Test
  void defaultsLiveInOnePlace() {
    JudgeConfig defaults = JudgeConfig.defaults();
    assertThat(defaults.alpha()).isEqualTo(0.05);
    assertThat(defaults.rollbackErrorRate()).isEqualTo(0.05);
    assertThat(defaults.noIncreaseErrorRate()).isEqualTo(0.02);
    assertThat(defaults.noIncreaseP99Ms()).isEqualTo(500);
    assertThat(defaults.srmPValue()).isEqualTo(0.001);
    assertThat(RolloutPolicy.defaults().plan()).isEqualTo(RolloutPlan.defaults());
    assertThat(RolloutPolicy.fromJson("{}")).isEqualTo(RolloutPolicy.defaults());
  }

  @Test
  void overridesArePartialAndEnvironmentSpecificOnesWin() {
    RolloutPolicy policy = RolloutPolicy.fromJson(POLICY);
    RolloutPlan production = policy.planFor("search-v2", "production");
    assertThat(production.steps()).containsExactly(1, 5, 25, 100);
    assertThat(production.minDwellWindows()).isEqualTo(5);
    assertThat(production.rollbackToPreviousStep()).isTrue();
    assertThat(policy.thresholdsFor("search-v2", "production").noIncreaseP99Ms()).isEqualTo(800);
    assertThat(policy.thresholdsFor("search-v2", "staging").noIncreaseP99Ms()).isEqualTo(600);
    assertThat(policy.thresholdsFor("search-v2", "staging").alpha()).as("inherited").isEqualTo(0.01);
    assertThat(policy.planFor("other", "production")).isEqualTo(policy.plan());
  }

  @Test
  void optInByNameOrByNameAndEnvironment() {
    RolloutPolicy policy = RolloutPolicy.fromJson(POLICY);
    assertThat(policy.isOptedIn("new-checkout", "staging")).isTrue();
    assertThat(policy.isOptedIn("search-v2", "production")).isTrue();
    assertThat(policy.isOptedIn("search-v2", "staging")).isFalse();
    assertThat(policy.isOptedIn("other", "production")).isFalse();
  }

  @Test
  void badConfigurationFailsAtLoadTime() {
    assertThatThrownBy(() -> RolloutPolicy.fromJson("{\"thresholds\": {\"alpha\": 2}}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alpha");
    assertThatThrownBy(() -> RolloutPolicy.fromJson("{\"thresholds\": {\"alfa\": 0.1}}"))
        .as("a typo is not silently ignored").isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RolloutPolicy.fromJson(
        "{\"overrides\": [{\"flag\": \"x\", \"plan\": {\"steps\": [50, 10]}}]}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("steps");
    assertThatThrownBy(() -> RolloutPolicy.fromJson(
        "{\"thresholds\": {\"noIncreaseErrorRate\": 0.1, \"rollbackErrorRate\": 0.05}}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void configRoundTripsThroughJackson() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    JudgeConfig config = RolloutPolicy.fromJson(POLICY).thresholds();
    assertThat(mapper.readValue(mapper.writeValueAsString(config), JudgeConfig.class)).isEqualTo(config);
  }

  @Test
  void policyJudgesWithTheFlagsOwnPlanAndOptIn() {
    RolloutPolicy policy = RolloutPolicy.fromJson(POLICY);
    var healthy = TestStats.window(0, java.util.Map.of(
        TestStats.CONTROL, TestStats.variant(new TestStats.Arm(19_000, 38_000, 380, 950,
            TestStats.lognormalGrid(38_000, 120, 450), 1)),
        TestStats.TREATMENT, TestStats.variant(new TestStats.Arm(1_000, 2_000, 20, 50,
            TestStats.lognormalGrid(2_000, 120, 450), 100_000))));
    Verdict verdict = policy.judge(healthy, healthy, TestStats.state(5, false, false, true), new StepTiming(3, 3));
    assertThat(verdict.action()).isEqualTo(dev.rollguard.avro.Action.INCREASE);
    assertThat(verdict.targetPercent()).as("the policy's plan skips 10").isEqualTo(25);
    assertThat(verdict.mode()).isEqualTo(dev.rollguard.avro.Mode.ENFORCE);
    assertThat(verdict.familyAlpha()).isEqualTo(0.01);
  }
}
