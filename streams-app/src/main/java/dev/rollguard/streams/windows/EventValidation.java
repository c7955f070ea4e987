package dev.rollguard.streams.windows;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import java.time.Duration;
import java.time.Instant;

/** The semantic checks of input events: a problem with its named reason, or null when the event is usable. */
public final class EventValidation {
  private final long maxFutureSkewMs;

  public record Problem(DeadLetterReason reason, String detail) {}

  public EventValidation(Duration maxFutureSkew) {
    this.maxFutureSkewMs = maxFutureSkew.toMillis();
  }

  public Problem check(FlagImpression e, long nowMillis) {
    if (blank(e.getFeatureName())) {
      return new Problem(DeadLetterReason.MISSING_FLAG, "missing flag name");
    }
    Problem p = checkEnvironment(e.getEnvironment());
    return p != null ? p : checkTimestamp(e.getTimestamp(), nowMillis);
  }

  /** A request is refused whole when any exposure is bad, so its flags' counts stay consistent with each other. */
  public Problem check(RequestMetric e, long nowMillis) {
    Problem p = checkEnvironment(e.getEnvironment());
    if (p != null) {
      return p;
    }
    if (e.getExposures() == null || e.getExposures().isEmpty()) {
      return new Problem(DeadLetterReason.NO_EXPOSURES, "request metric without exposures");
    }
    for (Exposure x : e.getExposures()) {
      if (blank(x.getFeatureName())) {
        return new Problem(DeadLetterReason.MISSING_FLAG, "missing flag name in an exposure");
      }
    }
    double latency = e.getLatencyMs();
    if (Double.isNaN(latency) || Double.isInfinite(latency) || latency < 0) {
      return new Problem(DeadLetterReason.BAD_LATENCY, "latency must be finite and >= 0, got " + latency);
    }
    return checkTimestamp(e.getTimestamp(), nowMillis);
  }

  private static Problem checkEnvironment(String environment) {
    if (blank(environment)) {
      return new Problem(DeadLetterReason.BLANK_ENVIRONMENT, "blank environment");
    }
    if (environment.indexOf(FlagKey.SEPARATOR) >= 0) {
      return new Problem(DeadLetterReason.BAD_ENVIRONMENT, "environment contains '/': " + environment);
    }
    return null;
  }

  private Problem checkTimestamp(Instant timestamp, long nowMillis) {
    long ahead = timestamp.toEpochMilli() - nowMillis;
    if (ahead > maxFutureSkewMs) {
      return new Problem(DeadLetterReason.FUTURE_TIMESTAMP, "timestamp " + timestamp + " is " + ahead / 1000
          + " s ahead of the wall clock (max skew " + maxFutureSkewMs / 1000 + " s)");
    }
    return null;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
