package dev.rollguard.judge;

/** The outcome of one statistic, as written into {@code Finding.verdict}. */
public enum FindingVerdict {
  /** Enough data, within the margin. */
  PASS,
  /** Not enough data, or worse than the margin without significance yet. */
  INCONCLUSIVE,
  /** Significantly worse than control beyond the margin (anytime-valid, family-wise α). */
  REGRESSION,
  /** A regression severe enough to turn the environment off. */
  KILL,
  /** An absolute guardrail is breached. */
  GUARDRAIL,
  /** The data cannot be trusted (sample-ratio mismatch). */
  DATA_QUALITY
}
