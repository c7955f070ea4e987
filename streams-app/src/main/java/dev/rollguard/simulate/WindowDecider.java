package dev.rollguard.simulate;

import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;

/**
 * The one call the simulator makes per closed window: the decision stage's work for one flag. Implementations keep
 * each flag's step progress (statistics since the step began, windows at the step) between calls, as the decision
 * stage keeps it in its state store.
 */
interface WindowDecider extends AutoCloseable {

  /**
   * Decides on one closed window.
   *
   * @param closed the window the topology just emitted
   * @param state the flag as Unleash has it at the window's close
   */
  RolloutDecision decide(FlagWindowStats closed, FlagState state);

  /** How decisions are taken, for the summary (e.g. "rules" or "rules + LocalAI advisor"). */
  String describe();

  @Override
  default void close() {}
}
