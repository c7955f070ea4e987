package dev.rollguard.schemas;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;

/**
 * The codec of the sketches carried inside {@code VariantStats}: they are part of the contract, so every module
 * (topology, judge, simulate) builds and reads them through this one class.
 *
 * <ul>
 *   <li>Latency: DDSketch, 1% relative accuracy, at most 2048 bins (collapsing the lowest values first, so the high
 *       quantiles that matter keep their guarantee), encoded with DDSketch's own binary encoding, mapping included.
 *   <li>Distinct units: Apache DataSketches HLL, lgK 12 (about 1.6% standard error; exact in its list and set modes
 *       for small counts), HLL_8, compact bytes.
 * </ul>
 */
public final class Sketches {
  public static final double LATENCY_RELATIVE_ACCURACY = 0.01;
  public static final int LATENCY_MAX_BINS = 2048;
  public static final int HLL_LG_K = 12;

  private Sketches() {}

  public static DDSketch newLatencySketch() {
    return DDSketches.logarithmicCollapsingLowestDense(LATENCY_RELATIVE_ACCURACY, LATENCY_MAX_BINS);
  }

  public static byte[] encodeLatency(DDSketch sketch) {
    GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
    try {
      sketch.encode(out, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.trimmedCopy();
  }

  /** Decodes a latency sketch; empty bytes give an empty sketch. */
  public static DDSketch decodeLatency(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return newLatencySketch();
    }
    try {
      return DDSketch.decode(ByteArrayInput.wrap(bytes), () -> new CollapsingLowestDenseStore(LATENCY_MAX_BINS));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a DDSketch: " + e.getMessage(), e);
    }
  }

  public static HllSketch newDistinctSketch() {
    return new HllSketch(HLL_LG_K, TgtHllType.HLL_8);
  }

  /** Adds a unit (user id, session id or event id) to a distinct-count sketch. */
  public static void addUnit(HllSketch sketch, String unit) {
    sketch.update(unit.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] encodeDistinct(HllSketch sketch) {
    return sketch.toCompactByteArray();
  }

  /** Decodes a distinct-count sketch; empty bytes give an empty sketch. */
  public static HllSketch decodeDistinct(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return newDistinctSketch();
    }
    return HllSketch.heapify(bytes);
  }

  public static HllSketch mergeDistinct(HllSketch a, HllSketch b) {
    Union union = new Union(HLL_LG_K);
    union.update(a);
    union.update(b);
    return union.getResult(TgtHllType.HLL_8);
  }

  /**
   * The distinct-count estimate, rounded; exact while the sketch is in its list or set mode. A sketch built in one
   * pass reports HLL's more accurate HIP estimate; a merged one (a union result) reports the composite estimate,
   * which does not depend on merge order, so cumulative statistics agree however windows were combined.
   */
  public static long estimate(HllSketch sketch) {
    return Math.round(sketch.getEstimate());
  }
}
