package dev.rollguard.judge.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.apache.commons.statistics.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

final class AlwaysValidTest {
  private static final NormalDistribution STANDARD = NormalDistribution.of(0, 1);

  @Test
  void likelihoodRatioMatchesTheHalfNormalMixtureIntegratedNumerically() {
    double tau = 0.01;
    for (double[] c : new double[][] {{0.004, 1e-5}, {0.02, 4e-5}, {-0.003, 2e-6}, {0.0005, 1e-6}}) {
      double estimate = c[0];
      double variance = c[1];
      // ∫_0^∞ 2 φ(θ/τ)/τ · exp((θ d - θ²/2) / V) dθ by the midpoint rule.
      double integral = 0;
      double step = tau / 20_000;
      for (double theta = step / 2; theta < 12 * tau; theta += step) {
        integral += 2 * STANDARD.density(theta / tau) / tau
            * Math.exp((theta * estimate - theta * theta / 2) / variance) * step;
      }
      assertThat(AlwaysValid.oneSidedLikelihoodRatio(estimate, variance, tau))
          .isCloseTo(integral, within(1e-4 * Math.max(1, integral)));
    }
  }

  @Test
  void pValueFallsAsTheEvidenceGrowsAndIsOneWhenTreatmentIsBetter() {
    double weak = AlwaysValid.oneSidedPValue(0.002, 1e-5, 0.01);
    double strong = AlwaysValid.oneSidedPValue(0.02, 1e-5, 0.01);
    assertThat(strong).isLessThan(weak).isLessThan(0.001);
    assertThat(AlwaysValid.oneSidedPValue(-0.01, 1e-5, 0.01)).isEqualTo(1.0);
    assertThat(AlwaysValid.oneSidedPValue(0.01, 0, 0.01)).isEqualTo(1.0);
  }

  @Test
  void confidenceSequenceBoundaryIsWhereTheTwoSidedMixtureReachesOneOverAlpha() {
    double variance = 3e-6;
    double tau = 0.01;
    double alpha = 0.05;
    double h = AlwaysValid.confidenceHalfWidth(variance, tau, alpha);
    double total = variance + tau * tau;
    double lambda = Math.sqrt(variance / total) * Math.exp(tau * tau * h * h / (2 * variance * total));
    assertThat(lambda).isCloseTo(1 / alpha, within(1e-9));
    assertThat(h).as("wider than the fixed-horizon 95% interval").isGreaterThan(1.96 * Math.sqrt(variance));
  }

  @Test
  void zeroCountsStillHaveAVariance() {
    assertThat(Proportions.regularizedVariance(0, 50_000)).isPositive();
    assertThat(Proportions.regularizedVariance(0, 0)).isZero();
  }

  @Test
  void sampleRatioFlagsAMismatchAndAcceptsTheExpectedSplit() {
    SampleRatio.Result fine = SampleRatio.test(DistinctCount.exact(1_000), DistinctCount.exact(19_000), 0.05);
    SampleRatio.Result off = SampleRatio.test(DistinctCount.exact(700), DistinctCount.exact(19_000), 0.05);
    assertThat(fine.pValue()).isGreaterThan(0.5);
    assertThat(off.pValue()).isLessThan(1e-6);
    assertThat(SampleRatio.test(DistinctCount.exact(1), DistinctCount.exact(20), 0.05)).as("too small").isNull();
  }

  @Test
  void sketchErrorWidensTheSampleRatioTest() {
    SampleRatio.Result exact = SampleRatio.test(DistinctCount.exact(10_400), DistinctCount.exact(89_600), 0.10);
    SampleRatio.Result sketched = SampleRatio.test(new DistinctCount(10_400, 134), new DistinctCount(89_600, 1_156),
        0.10);
    assertThat(exact.pValue()).isLessThan(0.001);
    assertThat(sketched.pValue()).as("4% off is within the HLL error here").isGreaterThan(0.001);
  }
}
