package dev.rollguard.streams.windows;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * The topology's Micrometer meters. Counters are process-wide (all tasks and threads), incremented when the outcome
 * happens; under exactly-once a retried transaction may count an input twice, so they are operational signals, not
 * ledgers.
 */
public final class WindowsMetrics {
  /**
   * Dead-lettered inputs; tags {@code category} (deserialization, invalid, late) and {@code reason}. A late partial
   * window is one dead letter per input topic but counts every observation it held.
   */
  public static final String DEAD_LETTERS = "rollguard.windows.dead.letters";
  /** Windows emitted to rollout.window-stats; tag {@code closed.by} (stream-time, wall-clock). */
  public static final String WINDOWS_EMITTED = "rollguard.windows.emitted";
  /** Observations (flag exposures) aggregated into windows. */
  public static final String OBSERVATIONS = "rollguard.windows.observations";

  private final MeterRegistry registry;
  private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
  private final Counter closedByStreamTime;
  private final Counter closedByWallClock;
  private final Counter observations;

  public WindowsMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (DeadLetterReason r : DeadLetterReason.values()) {
      deadLetters.put(r, Counter.builder(DEAD_LETTERS)
          .description("Inputs sent to the dead-letter topic")
          .tag("category", r.category().value())
          .tag("reason", r.tag())
          .register(registry));
    }
    closedByStreamTime = Counter.builder(WINDOWS_EMITTED).tag("closed.by", "stream-time").register(registry);
    closedByWallClock = Counter.builder(WINDOWS_EMITTED).tag("closed.by", "wall-clock").register(registry);
    observations = Counter.builder(OBSERVATIONS).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void deadLettered(DeadLetterReason reason) {
    deadLettered(reason, 1);
  }

  public void deadLettered(DeadLetterReason reason, long inputs) {
    deadLetters.get(reason).increment(inputs);
  }

  public long deadLetters(DeadLetterReason reason) {
    return (long) deadLetters.get(reason).count();
  }

  public void emitted(boolean byWallClock) {
    (byWallClock ? closedByWallClock : closedByStreamTime).increment();
  }

  public long emitted(String closedBy) {
    return (long) ("wall-clock".equals(closedBy) ? closedByWallClock : closedByStreamTime).count();
  }

  public void observed(int n) {
    observations.increment(n);
  }

  public long observations() {
    return (long) observations.count();
  }
}
