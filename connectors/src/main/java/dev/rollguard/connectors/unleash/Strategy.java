package dev.rollguard.connectors.unleash;

import java.util.Map;

/** One activation strategy of a flag in one environment, as the Admin API returns it. */
public record Strategy(String id, String name, String title, boolean disabled, int sortOrder,
    Map<String, String> parameters) {

  public static final String FLEXIBLE_ROLLOUT = "flexibleRollout";

  public boolean isFlexibleRollout() {
    return FLEXIBLE_ROLLOUT.equals(name);
  }

  /** The {@code rollout} parameter as a percent, or null when absent or not a number. */
  public Integer rolloutPercent() {
    String rollout = parameters.get("rollout");
    if (rollout == null) {
      return null;
    }
    try {
      return Integer.valueOf(rollout.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
