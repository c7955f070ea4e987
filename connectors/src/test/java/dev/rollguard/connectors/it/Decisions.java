package dev.rollguard.connectors.it;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.RolloutDecision;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Builds decisions as the decision stage would: each for a later window than the one before. */
final class Decisions {
  private static final Instant BASE = Instant.now().truncatedTo(ChronoUnit.MINUTES);
  private static final AtomicLong WINDOWS = new AtomicLong();

  private Decisions() {}

  static RolloutDecision decision(String flag, Action action, int from, int to) {
    return decision(flag, action, from, to, Mode.ENFORCE);
  }

  static RolloutDecision decision(String flag, Action action, int from, int to, Mode mode) {
    Instant windowEnd = BASE.plus(Duration.ofMinutes(5 * WINDOWS.incrementAndGet()));
    return RolloutDecision.newBuilder()
        .setDecisionId(UUID.nameUUIDFromBytes((flag + "/development/" + windowEnd + "/" + from).getBytes()).toString())
        .setFlag(flag)
        .setEnvironment("development")
        .setWindowStart(windowEnd.minus(Duration.ofMinutes(5)))
        .setWindowEnd(windowEnd)
        .setAction(action)
        .setFromPercent(from)
        .setToPercent(to)
        .setReason("test: " + action)
        .setConfidence(0.9)
        .setDecidedBy(DecidedBy.RULES)
        .setFindings(List.of())
        .setAdvice(null)
        .setMode(mode)
        .setCreatedAt(Instant.now())
        .build();
  }
}
