package dev.rollguard.judge;

import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-window statistics drawn directly (no per-event simulation) but with real sketches: user counts split by the
 * rollout percent, Bernoulli errors and conversions as binomial draws, latency as a multinomial over the DDSketch's
 * own bins, and fresh user ids per window in HLL sketches.
 */
final class SimulatedTraffic {
  /** How an arm behaves: error rate per request, lognormal latency (median, p99), conversion rate per user. */
  record Profile(double errorRate, double medianMs, double p99Ms, double conversionRate) {
    static final Profile BASELINE = new Profile(0.01, 120, 450, 0.05);

    Profile withErrorRate(double rate) {
      return new Profile(rate, medianMs, p99Ms, conversionRate);
    }

    Profile withP99(double p99) {
      return new Profile(errorRate, medianMs, p99, conversionRate);
    }

    Profile withConversionRate(double rate) {
      return new Profile(errorRate, medianMs, p99Ms, rate);
    }
  }

  private final Map<Profile, TestStats.LatencyProfile> latencies = new HashMap<>();
  private long nextUserId = 1;

  /**
   * One closed window: {@code users} users, each making {@code requestsPerUser} requests, assigned to treatment
   * with probability {@code treatmentShare} (the rollout percent, or a biased share to create an SRM).
   */
  FlagWindowStats window(SplittableRandom random, int index, long users, int requestsPerUser, double treatmentShare,
                         Profile control, Profile treatment) {
    long treatmentUsers = TestStats.binomial(random, users, treatmentShare);
    Map<String, VariantStats> variants = new LinkedHashMap<>();
    if (users - treatmentUsers > 0) {
      variants.put(TestStats.CONTROL, arm(random, users - treatmentUsers, requestsPerUser, control));
    }
    if (treatmentUsers > 0) {
      variants.put(TestStats.TREATMENT, arm(random, treatmentUsers, requestsPerUser, treatment));
    }
    return TestStats.window(index, variants);
  }

  private VariantStats arm(SplittableRandom random, long users, int requestsPerUser, Profile profile) {
    long requests = users * requestsPerUser;
    long errors = TestStats.binomial(random, requests, profile.errorRate());
    long converting = TestStats.binomial(random, users, profile.conversionRate());
    TestStats.LatencyProfile latency = latencies.computeIfAbsent(profile,
        p -> new TestStats.LatencyProfile(p.medianMs(), p.p99Ms()));
    TestStats.Arm arm = new TestStats.Arm(users, requests, errors, converting, latency.sample(random, requests),
        nextUserId);
    nextUserId += users;
    return TestStats.variant(arm);
  }
}
