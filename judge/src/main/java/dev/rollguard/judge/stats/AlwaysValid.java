package dev.rollguard.judge.stats;

import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Anytime-valid inference for a difference estimated by an (approximately) normal statistic, the mixture sequential
 * probability ratio test (mSPRT) of Johari, Pekelis and Walsh (2017, "Always valid inference").
 *
 * <p>Why: the judge decides at every window close on the cumulative statistics since the step began, i.e. it peeks
 * after every window. A fixed-horizon z-test peeked 50 times raises a 5% false-alarm rate to about 25-30%. The mixture
 * likelihood ratio is a non-negative (super)martingale under the null, so by Ville's inequality
 * {@code P(ever Λ ≥ 1/α) ≤ α}: rejecting whenever {@code Λ ≥ 1/α} at any look keeps the false-alarm rate at α however
 * often, and whenever, one looks. {@code 1/Λ} is the anytime-valid p-value.
 *
 * <p>Model: the estimate {@code d} of an effect θ is N(θ, V) with V the (plug-in) variance at the current look.
 * The one-sided test of H0: θ ≤ 0 against H1: θ > 0 mixes the likelihood ratio over a half-normal prior on θ with
 * scale τ (the "mixture sd", the effect size the test is tuned for):
 * <pre>Λ = 2 · sqrt(V / (V + τ²)) · exp(τ² d² / (2 V (V + τ²))) · Φ(d τ / sqrt(V (V + τ²)))</pre>
 * Each component is a supermartingale under every θ ≤ 0, so the composite null (including "worse by no more than the
 * margin", after shifting d by the margin) is covered.
 */
public final class AlwaysValid {
  private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

  private AlwaysValid() {}

  /** The one-sided mixture likelihood ratio Λ for H1: θ > 0, given the estimate, its variance and the mixture sd. */
  public static double oneSidedLikelihoodRatio(double estimate, double variance, double mixtureSd) {
    if (!(variance > 0) || !Double.isFinite(estimate)) {
      return 0;
    }
    double tau2 = mixtureSd * mixtureSd;
    double total = variance + tau2;
    double tail = STANDARD_NORMAL.cumulativeProbability(estimate * mixtureSd / Math.sqrt(variance * total));
    if (tail <= 0) {
      return 0;
    }
    double logLambda = Math.log(2) + 0.5 * Math.log(variance / total)
        + tau2 * estimate * estimate / (2 * variance * total) + Math.log(tail);
    return Math.exp(Math.min(logLambda, 700));
  }

  /** The anytime-valid one-sided p-value, {@code min(1, 1/Λ)}. */
  public static double oneSidedPValue(double estimate, double variance, double mixtureSd) {
    double lambda = oneSidedLikelihoodRatio(estimate, variance, mixtureSd);
    return lambda <= 1 ? 1.0 : 1.0 / lambda;
  }

  /**
   * Half-width of the two-sided (1 - α) confidence sequence for θ from the normal mixture: the set of θ whose
   * two-sided mixture ratio stays below 1/α. It is valid at every look simultaneously, hence wider than a fixed CI.
   */
  public static double confidenceHalfWidth(double variance, double mixtureSd, double alpha) {
    if (!(variance > 0)) {
      return 0;
    }
    double tau2 = mixtureSd * mixtureSd;
    double total = variance + tau2;
    double bound = 2 * variance * total / tau2 * (Math.log(1 / alpha) + 0.5 * Math.log(total / variance));
    return Math.sqrt(bound);
  }

  /** Standard normal CDF, for the readable confidence of a verdict. */
  public static double normalCdf(double z) {
    return STANDARD_NORMAL.cumulativeProbability(z);
  }
}
