package dev.rollguard.judge.stats;

import dev.rollguard.schemas.Sketches;
import org.apache.datasketches.hll.HllSketch;

/**
 * A distinct-unit count with the standard error of its estimate. Users come from HLL sketches (about 1.6% error
 * past a few hundred units); tests on user counts (SRM, conversion) must add that error to their variance, otherwise
 * large samples would turn sketch noise into "significant" differences.
 */
public record DistinctCount(double estimate, double standardError) {

  public static DistinctCount exact(long count) {
    return new DistinctCount(count, 0);
  }

  /** The count reported alongside the sketch, with the sketch's one-sigma error scaled to it; exact without a sketch. */
  public static DistinctCount of(long reported, byte[] sketchBytes) {
    if (sketchBytes == null || sketchBytes.length == 0 || reported <= 0) {
      return exact(reported);
    }
    HllSketch sketch = Sketches.decodeDistinct(sketchBytes);
    double estimate = sketch.getEstimate();
    if (estimate <= 0) {
      return exact(reported);
    }
    double relative = (sketch.getUpperBound(1) - sketch.getLowerBound(1)) / 2 / estimate;
    return new DistinctCount(reported, reported * relative);
  }

  public double relativeError() {
    return estimate > 0 ? standardError / estimate : 0;
  }
}
