package dev.rollguard.judge;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Every threshold the judge uses, with its defaults in {@link #defaults()} (and the constants below, used by the
 * Jackson factory so that a configuration file names only what it changes). Rates are fractions (0.05 = 5%).
 *
 * @param alpha family-wise false-alarm rate per rollout step for ROLLBACK/KILL, split by Bonferroni over the
 *     metrics × treatment variants tested (default 0.05)
 * @param errorRateAbsoluteMargin tolerated treatment-minus-control error rate, absolute (default 0.005 = 0.5 points)
 * @param errorRateRelativeMargin tolerated increase relative to control's error rate (default 0.25); the larger of
 *     the two margins applies, so a regression must exceed both
 * @param latencyP99AbsoluteMarginMs tolerated p99 increase in ms (default 10)
 * @param latencyP99RelativeMargin tolerated p99 increase relative to control's p99 (default 0.10)
 * @param conversionAbsoluteMargin tolerated drop in converting-user rate, absolute (default 0.001)
 * @param conversionRelativeMargin tolerated drop relative to control's conversion rate (default 0.05)
 * @param minRequestsPerArm requests each arm needs before the error and p99 tests conclude and before INCREASE
 *     (default 500)
 * @param minUsersPerArm users each arm needs before the conversion test concludes and before INCREASE (default 250)
 * @param rollbackErrorRate absolute guardrail: treatment error rate above it → ROLLBACK (default 0.05)
 * @param noIncreaseErrorRate absolute guardrail: treatment error rate above it → no INCREASE (default 0.02)
 * @param noIncreaseP99Ms absolute guardrail: treatment p99 above it → no INCREASE (default 500)
 * @param killErrorRate treatment error rate significantly above it, together with a significant regression against
 *     control → KILL (default 0.20)
 * @param srmPValue sample-ratio mismatch when the chi-square p-value is below it (default 0.001)
 * @param mixtureSd mSPRT mixture scale τ, in proportion units: the effect size the sequential tests are tuned to
 *     detect fastest (default 0.01 = 1 point)
 */
public record JudgeConfig(double alpha,
                          double errorRateAbsoluteMargin, double errorRateRelativeMargin,
                          double latencyP99AbsoluteMarginMs, double latencyP99RelativeMargin,
                          double conversionAbsoluteMargin, double conversionRelativeMargin,
                          long minRequestsPerArm, long minUsersPerArm,
                          double rollbackErrorRate, double noIncreaseErrorRate, double noIncreaseP99Ms,
                          double killErrorRate, double srmPValue, double mixtureSd) {
  public static final double DEFAULT_ALPHA = 0.05;
  public static final double DEFAULT_ERROR_RATE_ABSOLUTE_MARGIN = 0.005;
  public static final double DEFAULT_ERROR_RATE_RELATIVE_MARGIN = 0.25;
  public static final double DEFAULT_LATENCY_P99_ABSOLUTE_MARGIN_MS = 10;
  public static final double DEFAULT_LATENCY_P99_RELATIVE_MARGIN = 0.10;
  public static final double DEFAULT_CONVERSION_ABSOLUTE_MARGIN = 0.001;
  public static final double DEFAULT_CONVERSION_RELATIVE_MARGIN = 0.05;
  public static final long DEFAULT_MIN_REQUESTS_PER_ARM = 500;
  public static final long DEFAULT_MIN_USERS_PER_ARM = 250;
  public static final double DEFAULT_ROLLBACK_ERROR_RATE = 0.05;
  public static final double DEFAULT_NO_INCREASE_ERROR_RATE = 0.02;
  public static final double DEFAULT_NO_INCREASE_P99_MS = 500;
  public static final double DEFAULT_KILL_ERROR_RATE = 0.20;
  public static final double DEFAULT_SRM_P_VALUE = 0.001;
  public static final double DEFAULT_MIXTURE_SD = 0.01;

  public JudgeConfig {
    requireOpenUnit("alpha", alpha);
    requireNonNegative("errorRateAbsoluteMargin", errorRateAbsoluteMargin);
    requireNonNegative("errorRateRelativeMargin", errorRateRelativeMargin);
    requireNonNegative("latencyP99AbsoluteMarginMs", latencyP99AbsoluteMarginMs);
    requireNonNegative("latencyP99RelativeMargin", latencyP99RelativeMargin);
    requireNonNegative("conversionAbsoluteMargin", conversionAbsoluteMargin);
    requireNonNegative("conversionRelativeMargin", conversionRelativeMargin);
    if (minRequestsPerArm < 1 || minUsersPerArm < 1) {
      throw new IllegalArgumentException("minRequestsPerArm and minUsersPerArm must be >= 1");
    }
    requireOpenUnit("rollbackErrorRate", rollbackErrorRate);
    requireOpenUnit("noIncreaseErrorRate", noIncreaseErrorRate);
    if (noIncreaseErrorRate > rollbackErrorRate) {
      throw new IllegalArgumentException("noIncreaseErrorRate (" + noIncreaseErrorRate
          + ") must not exceed rollbackErrorRate (" + rollbackErrorRate + ")");
    }
    if (!(noIncreaseP99Ms > 0)) {
      throw new IllegalArgumentException("noIncreaseP99Ms must be > 0: " + noIncreaseP99Ms);
    }
    requireOpenUnit("killErrorRate", killErrorRate);
    requireOpenUnit("srmPValue", srmPValue);
    if (!(mixtureSd > 0) || !Double.isFinite(mixtureSd)) {
      throw new IllegalArgumentException("mixtureSd must be > 0: " + mixtureSd);
    }
  }

  public static JudgeConfig defaults() {
    return of(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** Jackson entry point: every missing field takes its default. */
  @JsonCreator
  public static JudgeConfig of(@JsonProperty("alpha") Double alpha,
                               @JsonProperty("errorRateAbsoluteMargin") Double errorRateAbsoluteMargin,
                               @JsonProperty("errorRateRelativeMargin") Double errorRateRelativeMargin,
                               @JsonProperty("latencyP99AbsoluteMarginMs") Double latencyP99AbsoluteMarginMs,
                               @JsonProperty("latencyP99RelativeMargin") Double latencyP99RelativeMargin,
                               @JsonProperty("conversionAbsoluteMargin") Double conversionAbsoluteMargin,
                               @JsonProperty("conversionRelativeMargin") Double conversionRelativeMargin,
                               @JsonProperty("minRequestsPerArm") Long minRequestsPerArm,
                               @JsonProperty("minUsersPerArm") Long minUsersPerArm,
                               @JsonProperty("rollbackErrorRate") Double rollbackErrorRate,
                               @JsonProperty("noIncreaseErrorRate") Double noIncreaseErrorRate,
                               @JsonProperty("noIncreaseP99Ms") Double noIncreaseP99Ms,
                               @JsonProperty("killErrorRate") Double killErrorRate,
                               @JsonProperty("srmPValue") Double srmPValue,
                               @JsonProperty("mixtureSd") Double mixtureSd) {
    return new JudgeConfig(
        or(alpha, DEFAULT_ALPHA),
        or(errorRateAbsoluteMargin, DEFAULT_ERROR_RATE_ABSOLUTE_MARGIN),
        or(errorRateRelativeMargin, DEFAULT_ERROR_RATE_RELATIVE_MARGIN),
        or(latencyP99AbsoluteMarginMs, DEFAULT_LATENCY_P99_ABSOLUTE_MARGIN_MS),
        or(latencyP99RelativeMargin, DEFAULT_LATENCY_P99_RELATIVE_MARGIN),
        or(conversionAbsoluteMargin, DEFAULT_CONVERSION_ABSOLUTE_MARGIN),
        or(conversionRelativeMargin, DEFAULT_CONVERSION_RELATIVE_MARGIN),
        minRequestsPerArm != null ? minRequestsPerArm : DEFAULT_MIN_REQUESTS_PER_ARM,
        minUsersPerArm != null ? minUsersPerArm : DEFAULT_MIN_USERS_PER_ARM,
        or(rollbackErrorRate, DEFAULT_ROLLBACK_ERROR_RATE),
        or(noIncreaseErrorRate, DEFAULT_NO_INCREASE_ERROR_RATE),
        or(noIncreaseP99Ms, DEFAULT_NO_INCREASE_P99_MS),
        or(killErrorRate, DEFAULT_KILL_ERROR_RATE),
        or(srmPValue, DEFAULT_SRM_P_VALUE),
        or(mixtureSd, DEFAULT_MIXTURE_SD));
  }

  private static double or(Double value, double fallback) {
    return value != null ? value : fallback;
  }

  private static void requireOpenUnit(String name, double value) {
    if (!(value > 0 && value < 1)) {
      throw new IllegalArgumentException(name + " must be in (0, 1): " + value);
    }
  }

  private static void requireNonNegative(String name, double value) {
    if (!(value >= 0) || !Double.isFinite(value)) {
      throw new IllegalArgumentException(name + " must be >= 0: " + value);
    }
  }
}
