package dev.rollguard.simulate;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.RolloutDecision;

/** One decision of a simulation and the window (0-based) whose close produced it. */
public record SimulatedDecision(int window, RolloutDecision decision) {

  public String flag() {
    return decision.getFlag();
  }

  public Action action() {
    return decision.getAction();
  }

  public int fromPercent() {
    return decision.getFromPercent();
  }

  public int toPercent() {
    return decision.getToPercent();
  }
}
