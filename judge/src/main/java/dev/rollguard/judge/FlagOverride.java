package dev.rollguard.judge;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Per-flag settings on top of the policy's defaults. Both objects are partial: a field they name replaces the
 * policy's value, every other field is inherited.
 *
 * @param flag the Unleash flag name
 * @param environment the environment it applies to; null for every environment
 * @param plan fields of {@link RolloutPlan} to override, or null
 * @param thresholds fields of {@link JudgeConfig} to override, or null
 */
public record FlagOverride(String flag, String environment, ObjectNode plan, ObjectNode thresholds) {
  public FlagOverride {
    if (flag == null || flag.isBlank()) {
      throw new IllegalArgumentException("an override needs a flag name");
    }
  }

  boolean appliesTo(String flagName, String env) {
    return flag.equals(flagName) && (environment == null || environment.equals(env));
  }
}
