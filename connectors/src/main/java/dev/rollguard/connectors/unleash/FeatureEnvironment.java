package dev.rollguard.connectors.unleash;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** A flag in one environment: on or off, and its strategies in evaluation order. */
public record FeatureEnvironment(String name, boolean enabled, List<Strategy> strategies) {

  /** The strategy Rollguard manages: the first flexibleRollout strategy by sort order. */
  public Optional<Strategy> flexibleRollout() {
    return strategies.stream()
        .filter(Strategy::isFlexibleRollout)
        .min(Comparator.comparingInt(Strategy::sortOrder));
  }
}
