package dev.rollguard.simulate;

import java.util.SplittableRandom;

/**
 * One flag's simulated traffic, window by window. Each window draws {@code usersPerWindow} distinct users from a
 * population ten times that size; a user is in treatment when its {@link Stickiness} bucket is below the flag's
 * current percent; each user makes {@code requestsPerUser} requests at uniform times in the window, with lognormal
 * latency, Bernoulli errors, and at most one converting request.
 *
 * <p>Every draw comes from one {@link SplittableRandom} per flag, seeded from the scenario seed and the flag's key, so
 * a flag's traffic depends only on the seed and on the percents it was served at, never on other flags.
 */
final class TrafficGenerator {
  /** Population size relative to the users drawn per window. */
  static final int POPULATION_FACTOR = 10;
  /** z of the 99th percentile of the standard normal: p99 = exp(mu + Z99 × sigma). */
  static final double Z99 = 2.3263478740408408;

  private final Scenario.Flag flag;
  private final long windowMillis;
  private final SplittableRandom random;
  private final String[] userIds;
  private final int[] buckets;
  private final boolean[] lostBySdk;
  private final int[] order;
  // Per-user scratch, reused across users.
  private final long[] times;
  private final double[] latencies;
  private final boolean[] errors;

  TrafficGenerator(Scenario.Flag flag, long scenarioSeed, long windowMillis) {
    this.flag = flag;
    this.windowMillis = windowMillis;
    this.random = new SplittableRandom(seedFor(scenarioSeed, flag.environment() + "/" + flag.name()));
    int population = Math.multiplyExact(flag.usersPerWindow(), POPULATION_FACTOR);
    this.userIds = new String[population];
    this.buckets = new int[population];
    this.lostBySdk = new boolean[population];
    this.order = new int[population];
    // The broken SDK is sticky: the same users lose their events in every window, as a bad client version would.
    long lostPerTenThousand = Math.round(flag.assignmentBias() * 10_000);
    for (int i = 0; i < population; i++) {
      userIds[i] = "user-" + i;
      buckets[i] = Stickiness.bucket(flag.name(), userIds[i]);
      lostBySdk[i] = Integer.toUnsignedLong(Stickiness.murmur3("sdk-bias:" + flag.name() + ":" + userIds[i], 0))
          % 10_000 < lostPerTenThousand;
      order[i] = i;
    }
    this.times = new long[flag.requestsPerUser()];
    this.latencies = new double[flag.requestsPerUser()];
    this.errors = new boolean[flag.requestsPerUser()];
  }

  /** A stable 64-bit seed per flag: String.hashCode-style over the key, mixed with the scenario seed. */
  static long seedFor(long scenarioSeed, String flagKey) {
    long h = 1125899906842597L;
    for (int i = 0; i < flagKey.length(); i++) {
      h = 31 * h + flagKey.charAt(i);
    }
    return scenarioSeed * 0x9E3779B97F4A7C15L ^ h;
  }

  /** What a window's traffic looked like, for progress and tests. */
  record WindowTraffic(int users, int treatmentUsers, int lostTreatmentUsers, long requests, long maxTimestamp) {}

  /** One request (and its impression) to emit. */
  record Request(int user, String userId, long timestamp, boolean treatment, double latencyMs, boolean error,
                 boolean converted, String eventId) {}

  interface Sink {
    void accept(Request request);
  }

  /**
   * Generates one window at {@code percent} (the share of users in treatment, 0 when the flag is off).
   *
   * @return counts and the largest event time emitted ({@code Long.MIN_VALUE} when nothing was)
   */
  WindowTraffic generate(int window, long windowStartMillis, int percent, Sink sink) {
    Scenario.Arms arms = flag.profilesAt(window);
    Latency controlLatency = Latency.of(arms.control());
    Latency treatmentLatency = Latency.of(arms.treatment());
    int users = flag.usersPerWindow();
    int requestsPerUser = flag.requestsPerUser();
    int treated = 0;
    int lost = 0;
    long requests = 0;
    long maxTimestamp = Long.MIN_VALUE;
    for (int u = 0; u < users; u++) {
      // Partial Fisher-Yates: positions 0..users-1 become a uniform sample without replacement.
      int pick = u + random.nextInt(order.length - u);
      int user = order[pick];
      order[pick] = order[u];
      order[u] = user;

      boolean treatment = buckets[user] < percent;
      Scenario.Profile profile = treatment ? arms.treatment() : arms.control();
      Latency latency = treatment ? treatmentLatency : controlLatency;
      int convertingRequest = random.nextDouble() < profile.conversionRate() ? random.nextInt(requestsPerUser) : -1;
      // Draws happen before the drop decision, so a lost user does not shift the random stream of the others.
      for (int r = 0; r < requestsPerUser; r++) {
        times[r] = windowStartMillis + random.nextLong(windowMillis);
        latencies[r] = latency.sample(random);
        errors[r] = random.nextDouble() < profile.errorRate();
      }
      if (treatment) {
        treated++;
        if (lostBySdk[user]) {
          lost++;
          continue;
        }
      }
      for (int r = 0; r < requestsPerUser; r++) {
        sink.accept(new Request(user, userIds[user], times[r], treatment, latencies[r], errors[r], r == convertingRequest,
            window + "-" + user + "-" + r));
        maxTimestamp = Math.max(maxTimestamp, times[r]);
        requests++;
      }
    }
    return new WindowTraffic(users, treated, lost, requests, maxTimestamp);
  }

  /**
   * Lognormal latency through the median and the p99: mu = ln(median), sigma = (ln(p99) - mu) / z99. Rounded to
   * 0.1 ms, as a request timer would report it.
   */
  record Latency(double mu, double sigma) {
    static Latency of(Scenario.Profile profile) {
      double mu = Math.log(profile.latencyMedianMs());
      return new Latency(mu, (Math.log(profile.latencyP99Ms()) - mu) / Z99);
    }

    double sample(SplittableRandom random) {
      return Math.round(Math.exp(mu + sigma * random.nextGaussian()) * 10) / 10.0;
    }
  }
}
