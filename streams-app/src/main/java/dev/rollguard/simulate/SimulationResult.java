package dev.rollguard.simulate;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a simulation produced.
 *
 * @param decisions every decision, in order
 * @param flags how each flag ended, keyed {@code "<environment>/<flag>"}, in scenario order
 * @param requests simulated requests (each also sent as an impression)
 * @param deadLettered inputs the topology refused; non-zero means the generator produced bad events
 * @param elapsed wall time of the run
 */
public record SimulationResult(List<SimulatedDecision> decisions, Map<String, FlagSummary> flags, long requests,
                               long deadLettered, Duration elapsed) {
  public SimulationResult {
    decisions = List.copyOf(decisions);
    flags = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(flags));
  }

  public List<SimulatedDecision> decisionsFor(String flag) {
    return decisions.stream().filter(d -> d.flag().equals(flag)).toList();
  }
}
