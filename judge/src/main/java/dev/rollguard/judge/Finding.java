package dev.rollguard.judge;

/**
 * One statistic the judge computed. {@code pValue} is anytime-valid and already Bonferroni-adjusted for the family
 * of tests in the verdict, so it is compared with the family-wise α directly; {@code detail} says what it means.
 *
 * @param metric error_rate, latency_p99, conversion, srm, sample_size, guardrail_error_rate, guardrail_latency_p99
 * @param variant the treatment variant compared with control ("*" for the whole flag)
 * @param verdict the outcome
 * @param observed treatment value (rate as a fraction, latency in ms, share of exposure for srm)
 * @param baseline control value (or the expected value)
 * @param threshold the margin, limit or significance level the value was tested against
 * @param pValue adjusted anytime-valid p-value; null when no test ran
 * @param detail a readable line: margins, lift and interval, raw p-value
 */
public record Finding(String metric, String variant, FindingVerdict verdict, Double observed, Double baseline,
                      Double threshold, Double pValue, String detail) {
  public static final String ERROR_RATE = "error_rate";
  public static final String LATENCY_P99 = "latency_p99";
  public static final String CONVERSION = "conversion";
  public static final String SRM = "srm";
  public static final String SAMPLE_SIZE = "sample_size";
  public static final String GUARDRAIL_ERROR_RATE = "guardrail_error_rate";
  public static final String GUARDRAIL_LATENCY_P99 = "guardrail_latency_p99";
  public static final String ALL_VARIANTS = "*";

  public dev.rollguard.avro.Finding toAvro() {
    return dev.rollguard.avro.Finding.newBuilder()
        .setMetric(metric)
        .setVariant(variant)
        .setVerdict(verdict.name())
        .setObserved(finite(observed))
        .setBaseline(finite(baseline))
        .setThreshold(finite(threshold))
        .setPValue(finite(pValue))
        .build();
  }

  private static Double finite(Double value) {
    return value == null || !Double.isFinite(value) ? null : value;
  }
}
