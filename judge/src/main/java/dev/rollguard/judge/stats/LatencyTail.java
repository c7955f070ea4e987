package dev.rollguard.judge.stats;

import com.datadoghq.sketch.ddsketch.DDSketch;

/**
 * The tail of a latency distribution read from a DDSketch, for the binomial exceedance test: "how many requests were
 * slower than a threshold" is a count, so comparing p99s becomes comparing two proportions.
 */
public final class LatencyTail {
  private LatencyTail() {}

  /** The q-quantile, or NaN for an empty sketch. */
  public static double quantile(DDSketch sketch, double q) {
    return sketch.isEmpty() ? Double.NaN : sketch.getValueAtQuantile(q);
  }

  /**
   * Requests in bins strictly above the bin holding {@code threshold}. Counting whole bins on the same index mapping
   * makes both arms round the threshold identically, so the sketch's 1% granularity cannot bias one arm.
   */
  public static double countAbove(DDSketch sketch, double threshold) {
    int bin = sketch.getIndexMapping().index(threshold);
    double[] above = {0};
    sketch.getPositiveValueStore().forEach((index, count) -> {
      if (index > bin) {
        above[0] += count;
      }
    });
    return above[0];
  }
}
