package dev.rollguard.judge.stats;

/** Variances of observed proportions, kept well-defined at zero and at one. */
public final class Proportions {
  private Proportions() {}

  /** {@code successes / trials}, 0 without trials. */
  public static double rate(double successes, double trials) {
    return trials > 0 ? successes / trials : 0;
  }

  /**
   * Variance of an observed proportion using the Agresti-Coull style estimate {@code (x + 1) / (n + 2)}: a zero
   * count (no errors in control) then still has a small positive variance, so neither arm can look "certain" and a
   * zero baseline cannot make a few treatment errors look infinitely significant.
   */
  public static double regularizedVariance(double successes, double trials) {
    if (trials <= 0) {
      return 0;
    }
    double p = (successes + 1) / (trials + 2);
    return p * (1 - p) / trials;
  }
}
