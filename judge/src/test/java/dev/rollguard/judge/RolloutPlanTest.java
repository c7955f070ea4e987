package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

final class RolloutPlanTest {
  private final RolloutPlan plan = RolloutPlan.defaults();

  @Test
  void increaseGoesOnlyToTheNextStepEvenFromOffStepPercents() {
    assertThat(plan.nextStep(0)).isEqualTo(1);
    assertThat(plan.nextStep(5)).isEqualTo(10);
    assertThat(plan.nextStep(7)).isEqualTo(10);
    assertThat(plan.nextStep(100)).isEqualTo(100);
    assertThat(plan.isComplete(100)).isTrue();
    assertThat(plan.isComplete(75)).isFalse();
  }

  @Test
  void rollbackGoesToZeroUnlessConfiguredToStepBack() {
    assertThat(plan.rollbackTarget(25)).isZero();
    RolloutPlan stepBack = new RolloutPlan(RolloutPlan.DEFAULT_STEPS, 2, 1, true);
    assertThat(stepBack.rollbackTarget(25)).isEqualTo(10);
    assertThat(stepBack.rollbackTarget(7)).isEqualTo(5);
    assertThat(stepBack.rollbackTarget(1)).isZero();
  }

  @Test
  void bindsFromJsonWithDefaultsForMissingFields() throws Exception {
    RolloutPlan bound = new ObjectMapper().readValue("{\"steps\": [10, 50, 100]}", RolloutPlan.class);
    assertThat(bound.steps()).containsExactly(10, 50, 100);
    assertThat(bound.minDwellWindows()).isEqualTo(RolloutPlan.DEFAULT_MIN_DWELL_WINDOWS);
    assertThat(bound.cooldownWindows()).isEqualTo(RolloutPlan.DEFAULT_COOLDOWN_WINDOWS);
    assertThat(bound.rollbackToPreviousStep()).isFalse();
    assertThat(new ObjectMapper().readValue("{}", RolloutPlan.class)).isEqualTo(RolloutPlan.defaults());
  }

  @Test
  void rejectsPlansThatCouldSkipOrLoop() {
    assertThatThrownBy(() -> new RolloutPlan(List.of(5, 5, 10), 2, 1, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RolloutPlan(List.of(10, 5), 2, 1, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RolloutPlan(List.of(0, 50), 2, 1, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RolloutPlan(List.of(50, 150), 2, 1, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RolloutPlan(List.of(), 2, 1, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RolloutPlan(List.of(50), 0, 1, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RolloutPlan(List.of(50), 1, -1, false)).isInstanceOf(IllegalArgumentException.class);
  }
}
