package dev.rollguard.streams.decisions;

import dev.rollguard.avro.DecidedBy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * The decision stage's Micrometer meters. Counted when the outcome happens; under exactly-once a retried
 * transaction may count a window twice, so these are operational signals, not ledgers (the topic is the ledger).
 */
public final class DecisionMetrics {
  /** Decisions published; tag {@code decided.by} (RULES, LLM, FALLBACK). */
  public static final String DECISIONS = "rollguard.decisions";
  /** Decisions where the rules overrode or replaced the advisor; tag {@code kind} (TIMEOUT, OUTSIDE_RULES, ...). */
  public static final String FALLBACKS = "rollguard.decisions.fallbacks";
  /** Windows not decided; tag {@code reason} (replay, invalid, flag-state-undecodable). */
  public static final String SKIPPED = "rollguard.decisions.skipped";
  /** Time from the window's end to its decision (wall clock), advisor wait included. */
  public static final String LAG = "rollguard.decisions.lag";

  private final MeterRegistry registry;
  private final Map<DecidedBy, Counter> decisions = new EnumMap<>(DecidedBy.class);
  private final Timer lag;

  public DecisionMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (DecidedBy by : DecidedBy.values()) {
      decisions.put(by, Counter.builder(DECISIONS).description("Rollout decisions published")
          .tag("decided.by", by.name()).register(registry));
    }
    lag = Timer.builder(LAG).description("Window end to decision").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void decided(DecidedBy by, String fallbackKind, Duration lagSinceWindowEnd) {
    decisions.get(by).increment();
    if (fallbackKind != null) {
      registry.counter(FALLBACKS, "kind", fallbackKind).increment();
    }
    if (!lagSinceWindowEnd.isNegative()) {
      lag.record(lagSinceWindowEnd);
    }
  }

  public void skipped(String reason) {
    registry.counter(SKIPPED, "reason", reason).increment();
  }

  public long decisionCount(DecidedBy by) {
    return (long) decisions.get(by).count();
  }

  public long fallbackCount(String kind) {
    Counter c = registry.find(FALLBACKS).tag("kind", kind).counter();
    return c == null ? 0 : (long) c.count();
  }

  public long skippedCount(String reason) {
    Counter c = registry.find(SKIPPED).tag("reason", reason).counter();
    return c == null ? 0 : (long) c.count();
  }
}
