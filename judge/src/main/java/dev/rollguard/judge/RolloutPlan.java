package dev.rollguard.judge;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * How a flag climbs: the rollout percents it steps through, how long it stays on each, and where a rollback goes.
 *
 * @param steps rollout percents, strictly increasing, each 1..100 (default 1, 5, 10, 25, 50, 75, 100)
 * @param minDwellWindows closed windows a step must be observed before INCREASE (default 2)
 * @param cooldownWindows closed windows after any change to the flag before INCREASE (default 1)
 * @param rollbackToPreviousStep ROLLBACK goes to the previous step instead of 0 (default false)
 */
public record RolloutPlan(List<Integer> steps, int minDwellWindows, int cooldownWindows,
                          boolean rollbackToPreviousStep) {
  public static final List<Integer> DEFAULT_STEPS = List.of(1, 5, 10, 25, 50, 75, 100);
  public static final int DEFAULT_MIN_DWELL_WINDOWS = 2;
  public static final int DEFAULT_COOLDOWN_WINDOWS = 1;

  public RolloutPlan {
    if (steps == null || steps.isEmpty()) {
      throw new IllegalArgumentException("steps must not be empty");
    }
    steps = List.copyOf(steps);
    int previous = 0;
    for (int step : steps) {
      if (step < 1 || step > 100 || step <= previous) {
        throw new IllegalArgumentException("steps must be strictly increasing percents in 1..100: " + steps);
      }
      previous = step;
    }
    if (minDwellWindows < 1) {
      throw new IllegalArgumentException("minDwellWindows must be >= 1: " + minDwellWindows);
    }
    if (cooldownWindows < 0) {
      throw new IllegalArgumentException("cooldownWindows must be >= 0: " + cooldownWindows);
    }
  }

  public static RolloutPlan defaults() {
    return new RolloutPlan(DEFAULT_STEPS, DEFAULT_MIN_DWELL_WINDOWS, DEFAULT_COOLDOWN_WINDOWS, false);
  }

  /** Jackson entry point: every missing field takes its default. */
  @JsonCreator
  public static RolloutPlan of(@JsonProperty("steps") List<Integer> steps,
                               @JsonProperty("minDwellWindows") Integer minDwellWindows,
                               @JsonProperty("cooldownWindows") Integer cooldownWindows,
                               @JsonProperty("rollbackToPreviousStep") Boolean rollbackToPreviousStep) {
    return new RolloutPlan(
        steps != null ? steps : DEFAULT_STEPS,
        minDwellWindows != null ? minDwellWindows : DEFAULT_MIN_DWELL_WINDOWS,
        cooldownWindows != null ? cooldownWindows : DEFAULT_COOLDOWN_WINDOWS,
        rollbackToPreviousStep != null && rollbackToPreviousStep);
  }

  /** The smallest step above {@code current}; {@code current} itself once at or past the last step. */
  public int nextStep(int current) {
    for (int step : steps) {
      if (step > current) {
        return step;
      }
    }
    return current;
  }

  /** The largest step below {@code current}, or 0. */
  public int previousStep(int current) {
    int previous = 0;
    for (int step : steps) {
      if (step < current) {
        previous = step;
      }
    }
    return previous;
  }

  /** Where ROLLBACK goes from {@code current}: 0, or the previous step when so configured. */
  public int rollbackTarget(int current) {
    return rollbackToPreviousStep ? previousStep(current) : 0;
  }

  /** No step above {@code current}: the plan is complete. */
  public boolean isComplete(int current) {
    return current >= steps.get(steps.size() - 1);
  }
}
