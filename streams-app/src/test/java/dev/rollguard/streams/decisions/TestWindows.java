package dev.rollguard.streams.decisions;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.schemas.Sketches;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.datasketches.hll.HllSketch;

/** Real window statistics (HLL user sketches, DDSketch latencies) for one flag, built from a few numbers. */
final class TestWindows {
  static final String ENV = "production";
  static final String CONTROL = "disabled";
  static final String TREATMENT = "enabled";
  static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
  static final long WINDOW_SECONDS = 60;

  private TestWindows() {}

  /** A window where treatment has {@code percent}% of 10,000 users, each making two requests. */
  static FlagWindowStats window(String flag, int index, int percent, double treatmentErrorRate) {
    long treatmentUsers = 100L * percent;
    long controlUsers = 10_000 - treatmentUsers;
    // Distinct user ids per window and arm, so the HLL unions across windows count real distinct users.
    long base = index * 1_000_000L;
    Map<String, VariantStats> variants = new TreeMap<>();
    variants.put(CONTROL, arm(base, controlUsers, 0.01, 120));
    variants.put(TREATMENT, arm(base + 500_000, treatmentUsers, treatmentErrorRate, 120));
    Instant start = T0.plusSeconds(WINDOW_SECONDS * index);
    return FlagWindowStats.newBuilder()
        .setFlag(flag).setEnvironment(ENV)
        .setWindowStart(start).setWindowEnd(start.plusSeconds(WINDOW_SECONDS))
        .setControlVariant(CONTROL).setVariants(variants).build();
  }

  static FlagWindowStats healthy(String flag, int index, int percent) {
    return window(flag, index, percent, 0.01);
  }

  static VariantStats arm(long firstUser, long users, double errorRate, double medianMs) {
    HllSketch hll = Sketches.newDistinctSketch();
    HllSketch converting = Sketches.newDistinctSketch();
    DDSketch latency = Sketches.newLatencySketch();
    long requests = 2 * users;
    long errors = Math.round(requests * errorRate);
    for (long u = 0; u < users; u++) {
      hll.update(firstUser + u);
      if (u % 20 == 0) {
        converting.update(firstUser + u);
      }
    }
    for (long r = 0; r < requests; r++) {
      // A deterministic spread around the median: 0.5x .. 1.5x, a thin tail at 3x.
      double f = r % 100 == 99 ? 3.0 : 0.5 + (r % 97) / 96.0;
      latency.accept(medianMs * f);
    }
    long unique = Sketches.estimate(hll);
    long conv = Sketches.estimate(converting);
    return VariantStats.newBuilder()
        .setImpressions(requests).setUniqueUsers(unique).setRequests(requests).setErrors(errors)
        .setErrorRate(requests > 0 ? (double) errors / requests : 0)
        .setLatencyP50Ms(latency.isEmpty() ? null : latency.getValueAtQuantile(0.5))
        .setLatencyP95Ms(latency.isEmpty() ? null : latency.getValueAtQuantile(0.95))
        .setLatencyP99Ms(latency.isEmpty() ? null : latency.getValueAtQuantile(0.99))
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(latency)))
        .setConversions(conv).setConvertingUsers(conv)
        .setConversionRate(unique > 0 ? (double) conv / unique : 0)
        .setUserSketch(ByteBuffer.wrap(hll.isEmpty() ? new byte[0] : Sketches.encodeDistinct(hll)))
        .setConvertingSketch(ByteBuffer.wrap(converting.isEmpty() ? new byte[0] : Sketches.encodeDistinct(converting)))
        .build();
  }

  static FlagState state(String flag, int percent, long eventId, Instant changedAt) {
    return FlagState.newBuilder()
        .setFlag(flag).setEnvironment(ENV).setEnabled(true).setRolloutPercent(percent).setManaged(true)
        .setPaused(false).setStrategyId("s-1").setLastChangedBy("rollguard").setLastChangedAt(changedAt)
        .setLastEventId(eventId).build();
  }
}
