package dev.rollguard.simulate;

import dev.rollguard.advisor.Advisor;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.judge.RolloutPolicy;
import dev.rollguard.streams.decisions.DecisionCore;
import dev.rollguard.streams.decisions.SynchronousDecisions;
import java.time.Duration;

/**
 * The decision stage's own core ({@link DecisionCore}, through {@link SynchronousDecisions}, which keeps each flag's
 * step progress in memory where production keeps it in a changelogged store). Its clock is the simulated one, set to
 * the window's end before each call, so {@code createdAt} is deterministic.
 */
final class CoreDecider implements WindowDecider {
  private final SynchronousDecisions decisions;
  private final SimulatedClock clock;
  private final Advisor advisor;
  private final String description;

  private CoreDecider(RolloutPolicy policy, Advisor advisor, Duration advisorWait, String description) {
    this.clock = new SimulatedClock(Simulation.EPOCH);
    this.advisor = advisor;
    // No wait budget: a simulation may wait for every answer, unlike a stream thread.
    this.decisions = new SynchronousDecisions(advisor == null
        ? DecisionCore.rulesOnly(policy, clock)
        : new DecisionCore(policy, advisor, advisorWait, null, clock));
    this.description = description;
  }

  static CoreDecider rulesOnly(RolloutPolicy policy) {
    return new CoreDecider(policy, null, Duration.ofSeconds(1), "the rules (DecisionCore, advisor off)");
  }

  /** @param advisorWait how long each decision waits for the advisor before the rules decide */
  static CoreDecider withAdvisor(RolloutPolicy policy, Advisor advisor, Duration advisorWait, String description) {
    return new CoreDecider(policy, advisor, advisorWait, description);
  }

  @Override
  public RolloutDecision decide(FlagWindowStats closed, FlagState state) {
    clock.set(closed.getWindowEnd());
    return decisions.onWindowClosed(closed, state).orElseThrow(() -> new IllegalStateException(
        "the decision stage refused window " + closed.getWindowEnd() + " of " + closed.getFlag()
            + " as already decided: the simulator closed a window twice"));
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    if (advisor != null) {
      advisor.close();
    }
  }
}
