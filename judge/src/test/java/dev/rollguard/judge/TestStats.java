package dev.rollguard.judge;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.schemas.Sketches;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.datasketches.hll.HllSketch;

/** Builds real window statistics (DDSketch, HLL) from compact arm descriptions, deterministic or seeded. */
final class TestStats {
  static final String FLAG = "new-checkout";
  static final String ENV = "production";
  static final String CONTROL = "disabled";
  static final String TREATMENT = "enabled";
  private static final NormalDistribution STANDARD = NormalDistribution.of(0, 1);
  private static final double Z99 = STANDARD.inverseCumulativeProbability(0.99);

  private TestStats() {}

  /** One arm's totals; the latency sketch is built by the caller. */
  record Arm(long users, long requests, long errors, long convertingUsers, DDSketch latency, long firstUserId) {}

  static VariantStats variant(Arm arm) {
    HllSketch users = Sketches.newDistinctSketch();
    HllSketch converting = Sketches.newDistinctSketch();
    for (long i = 0; i < arm.users(); i++) {
      users.update(arm.firstUserId() + i);
      if (i < arm.convertingUsers()) {
        converting.update(arm.firstUserId() + i);
      }
    }
    DDSketch latency = arm.latency();
    boolean hasLatency = !latency.isEmpty();
    long uniqueUsers = Sketches.estimate(users);
    long convertingUsers = Sketches.estimate(converting);
    return VariantStats.newBuilder()
        .setImpressions(arm.requests())
        .setUniqueUsers(uniqueUsers)
        .setRequests(arm.requests())
        .setErrors(arm.errors())
        .setErrorRate(arm.requests() > 0 ? (double) arm.errors() / arm.requests() : 0)
        .setLatencyP50Ms(hasLatency ? latency.getValueAtQuantile(0.5) : null)
        .setLatencyP95Ms(hasLatency ? latency.getValueAtQuantile(0.95) : null)
        .setLatencyP99Ms(hasLatency ? latency.getValueAtQuantile(0.99) : null)
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(latency)))
        .setConversions(arm.convertingUsers())
        .setConvertingUsers(convertingUsers)
        .setConversionRate(uniqueUsers > 0 ? (double) convertingUsers / uniqueUsers : 0)
        .setUserSketch(ByteBuffer.wrap(users.isEmpty() ? new byte[0] : Sketches.encodeDistinct(users)))
        .setConvertingSketch(ByteBuffer.wrap(converting.isEmpty() ? new byte[0] : Sketches.encodeDistinct(converting)))
        .build();
  }

  static FlagWindowStats window(int index, Map<String, VariantStats> variants) {
    Instant start = Instant.parse("2026-11-02T12:00:00Z").plusSeconds(60L * index);
    return FlagWindowStats.newBuilder()
        .setFlag(FLAG).setEnvironment(ENV)
        .setWindowStart(start).setWindowEnd(start.plusSeconds(60))
        .setControlVariant(CONTROL)
        .setVariants(new TreeMap<>(variants))
        .build();
  }

  static FlagState state(Integer percent, boolean managed, boolean paused, boolean enabled) {
    return FlagState.newBuilder()
        .setFlag(FLAG).setEnvironment(ENV).setEnabled(enabled).setRolloutPercent(percent)
        .setManaged(managed).setPaused(paused).build();
  }

  /** Deterministic lognormal latency: a grid of quantiles, weighted to {@code count} requests. */
  static DDSketch lognormalGrid(long count, double medianMs, double p99Ms) {
    DDSketch sketch = Sketches.newLatencySketch();
    if (count == 0) {
      return sketch;
    }
    double sigma = Math.log(p99Ms / medianMs) / Z99;
    int points = (int) Math.min(count, 4000);
    double weight = (double) count / points;
    for (int i = 0; i < points; i++) {
      double z = STANDARD.inverseCumulativeProbability((i + 0.5) / points);
      sketch.accept(medianMs * Math.exp(sigma * z), weight);
    }
    return sketch;
  }

  /** Explicit latency samples, e.g. from a golden fixture. */
  static DDSketch samples(double[] values) {
    DDSketch sketch = Sketches.newLatencySketch();
    for (double value : values) {
      sketch.accept(value);
    }
    return sketch;
  }

  /** A lognormal latency profile as bin probabilities of the contract's DDSketch mapping, for fast sampling. */
  static final class LatencyProfile {
    private final int[] bins;
    private final double[] values;
    private final double[] probabilities;

    LatencyProfile(double medianMs, double p99Ms) {
      IndexMapping mapping = Sketches.newLatencySketch().getIndexMapping();
      double mu = Math.log(medianMs);
      double sigma = Math.log(p99Ms / medianMs) / Z99;
      int low = mapping.index(Math.exp(mu - 6.5 * sigma));
      int high = mapping.index(Math.exp(mu + 6.5 * sigma));
      bins = new int[high - low + 1];
      values = new double[bins.length];
      probabilities = new double[bins.length];
      double total = 0;
      for (int i = 0; i < bins.length; i++) {
        int index = low + i;
        bins[i] = index;
        values[i] = mapping.value(index);
        double a = (Math.log(mapping.lowerBound(index)) - mu) / sigma;
        double b = (Math.log(mapping.upperBound(index)) - mu) / sigma;
        probabilities[i] = STANDARD.cumulativeProbability(b) - STANDARD.cumulativeProbability(a);
        total += probabilities[i];
      }
      for (int i = 0; i < probabilities.length; i++) {
        probabilities[i] /= total;
      }
    }

    /** A multinomial draw of {@code count} latencies into the sketch's bins (conditional binomials). */
    DDSketch sample(SplittableRandom random, long count) {
      DDSketch sketch = Sketches.newLatencySketch();
      long remaining = count;
      double remainingProbability = 1;
      for (int i = 0; i < bins.length && remaining > 0; i++) {
        double p = remainingProbability > 0 ? Math.min(1, probabilities[i] / remainingProbability) : 1;
        long inBin = i == bins.length - 1 ? remaining : binomial(random, remaining, p);
        if (inBin > 0) {
          sketch.accept(values[i], inBin);
        }
        remaining -= inBin;
        remainingProbability -= probabilities[i];
      }
      return sketch;
    }
  }

  /** Binomial draw: inversion for small means, a rounded normal for large ones (simulation accuracy is enough). */
  static long binomial(SplittableRandom random, long n, double p) {
    if (n <= 0 || p <= 0) {
      return 0;
    }
    if (p >= 1) {
      return n;
    }
    if (p > 0.5) {
      return n - binomial(random, n, 1 - p);
    }
    double mean = n * p;
    if (mean < 40) {
      // Inversion by sequential search over the pmf.
      double q = 1 - p;
      double pmf = Math.pow(q, n);
      if (pmf > 0) {
        double u = random.nextDouble();
        long k = 0;
        double cdf = pmf;
        while (u > cdf && k < n) {
          pmf *= (double) (n - k) / (k + 1) * p / q;
          k++;
          cdf += pmf;
          if (pmf < 1e-300 && cdf >= u) {
            break;
          }
        }
        return k;
      }
    }
    long draw = Math.round(mean + Math.sqrt(mean * (1 - p)) * random.nextGaussian());
    return Math.max(0, Math.min(n, draw));
  }
}
