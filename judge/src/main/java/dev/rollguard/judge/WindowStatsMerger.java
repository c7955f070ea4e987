package dev.rollguard.judge;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.schemas.Sketches;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.datasketches.hll.HllSketch;

/**
 * Cumulative statistics since a rollout step began: the merge of its closed windows. Counts add up; latency and
 * distinct-user sketches merge exactly, so quantiles and user counts are recomputed rather than averaged and a user
 * seen in several windows is counted once.
 */
public final class WindowStatsMerger {
  private static final double[] QUANTILES = {0.50, 0.95, 0.99};

  private WindowStatsMerger() {}

  /**
   * Merges {@code next} into {@code acc} into a new record; neither input is modified. A null {@code acc} starts a
   * new step and returns {@code next} itself (no Avro deep copy: that needs the contract classes trusted, which only
   * the serde arranges).
   */
  public static FlagWindowStats merge(FlagWindowStats acc, FlagWindowStats next) {
    Objects.requireNonNull(next, "next");
    if (acc == null) {
      return next;
    }
    if (!acc.getFlag().equals(next.getFlag()) || !acc.getEnvironment().equals(next.getEnvironment())) {
      throw new IllegalArgumentException("cannot merge " + acc.getFlag() + "/" + acc.getEnvironment()
          + " with " + next.getFlag() + "/" + next.getEnvironment());
    }
    Map<String, VariantStats> variants = new TreeMap<>(acc.getVariants());
    next.getVariants().forEach((name, stats) -> variants.merge(name, stats, WindowStatsMerger::mergeVariant));
    Instant start = min(acc.getWindowStart(), next.getWindowStart());
    Instant end = max(acc.getWindowEnd(), next.getWindowEnd());
    return FlagWindowStats.newBuilder()
        .setFlag(acc.getFlag())
        .setEnvironment(acc.getEnvironment())
        .setWindowStart(start)
        .setWindowEnd(end)
        .setControlVariant(next.getControlVariant())
        .setVariants(variants)
        .build();
  }

  /** Merges windows in order; null for an empty list. */
  public static FlagWindowStats mergeAll(List<FlagWindowStats> windows) {
    FlagWindowStats acc = null;
    for (FlagWindowStats window : windows) {
      acc = merge(acc, window);
    }
    return acc;
  }

  /** One variant over two periods: counts summed, sketches merged, rates and quantiles recomputed. */
  public static VariantStats mergeVariant(VariantStats a, VariantStats b) {
    long requests = a.getRequests() + b.getRequests();
    long errors = a.getErrors() + b.getErrors();
    DDSketch latency = Sketches.decodeLatency(bytes(a.getLatencySketch()));
    latency.mergeWith(Sketches.decodeLatency(bytes(b.getLatencySketch())));
    Distinct users = mergeDistinct(a.getUniqueUsers(), a.getUserSketch(), b.getUniqueUsers(), b.getUserSketch());
    Distinct converting = mergeDistinct(
        a.getConvertingUsers(), a.getConvertingSketch(), b.getConvertingUsers(), b.getConvertingSketch());
    boolean hasLatency = !latency.isEmpty();
    double[] q = hasLatency ? latency.getValuesAtQuantiles(QUANTILES) : null;
    return VariantStats.newBuilder()
        .setImpressions(a.getImpressions() + b.getImpressions())
        .setUniqueUsers(users.count())
        .setRequests(requests)
        .setErrors(errors)
        .setErrorRate(requests > 0 ? (double) errors / requests : 0)
        .setLatencyP50Ms(hasLatency ? q[0] : null)
        .setLatencyP95Ms(hasLatency ? q[1] : null)
        .setLatencyP99Ms(hasLatency ? q[2] : null)
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(latency)))
        .setConversions(a.getConversions() + b.getConversions())
        .setConvertingUsers(converting.count())
        .setConversionRate(users.count() > 0 ? (double) converting.count() / users.count() : 0)
        .setUserSketch(ByteBuffer.wrap(users.sketch()))
        .setConvertingSketch(ByteBuffer.wrap(converting.sketch()))
        .build();
  }

  /** The bytes of an Avro bytes field, without disturbing the buffer's position. */
  static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return new byte[0];
    }
    ByteBuffer view = buffer.duplicate();
    byte[] out = new byte[view.remaining()];
    view.get(out);
    return out;
  }

  private record Distinct(long count, byte[] sketch) {}

  // Without sketches on both sides the union is unknown; the sum is the honest upper bound (repeat users double count).
  private static Distinct mergeDistinct(long countA, ByteBuffer sketchA, long countB, ByteBuffer sketchB) {
    byte[] a = bytes(sketchA);
    byte[] b = bytes(sketchB);
    boolean aUsable = a.length > 0 || countA == 0;
    boolean bUsable = b.length > 0 || countB == 0;
    if (!aUsable || !bUsable) {
      return new Distinct(countA + countB, new byte[0]);
    }
    if (a.length == 0 && b.length == 0) {
      return new Distinct(0, new byte[0]);
    }
    HllSketch union = Sketches.mergeDistinct(Sketches.decodeDistinct(a), Sketches.decodeDistinct(b));
    return new Distinct(Sketches.estimate(union), Sketches.encodeDistinct(union));
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
