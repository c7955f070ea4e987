package dev.rollguard.judge.stats;

import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Sample-ratio mismatch: is the observed treatment share of exposure units compatible with the rollout percent?
 * Two categories (control, all treatment variants), so Pearson's chi-square has one degree of freedom and equals
 * z²; the variance is widened by the HLL estimation error of both user counts (see {@link DistinctCount}).
 */
public final class SampleRatio {
  private static final ChiSquaredDistribution ONE_DOF = ChiSquaredDistribution.of(1);

  private SampleRatio() {}

  /** Chi-square statistic and p-value, or null when the expected cells are too small (< 5) for the test. */
  public static Result test(DistinctCount treatment, DistinctCount control, double expectedTreatmentShare) {
    double nt = treatment.estimate();
    double nc = control.estimate();
    double total = nt + nc;
    if (total <= 0 || total * expectedTreatmentShare < 5 || total * (1 - expectedTreatmentShare) < 5) {
      return null;
    }
    double share = nt / total;
    double binomial = expectedTreatmentShare * (1 - expectedTreatmentShare) / total;
    double st = treatment.standardError();
    double sc = control.standardError();
    // Delta method for share = nt / (nt + nc) with independent estimation errors on nt and nc.
    double sketchNoise = (nc * nc * st * st + nt * nt * sc * sc) / Math.pow(total, 4);
    double chiSquare = Math.pow(share - expectedTreatmentShare, 2) / (binomial + sketchNoise);
    return new Result(share, chiSquare, ONE_DOF.survivalProbability(chiSquare));
  }

  public record Result(double observedShare, double chiSquare, double pValue) {}
}
