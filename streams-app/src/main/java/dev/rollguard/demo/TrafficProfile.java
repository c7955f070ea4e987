package dev.rollguard.demo;

/**
 * How one arm of a demo flag behaves: per-request error rate, lognormal latency fitted to a median and a p99, and the
 * chance that a user converts in a window.
 */
public record TrafficProfile(double errorRate, double latencyMedianMs, double latencyP99Ms, double conversionRate) {
  /** z of the 99th percentile of the standard normal distribution. */
  private static final double Z99 = 2.3263478740408408;

  public TrafficProfile {
    if (errorRate < 0 || errorRate > 1 || conversionRate < 0 || conversionRate > 1) {
      throw new IllegalArgumentException("rates must be within 0..1");
    }
    if (latencyMedianMs <= 0 || latencyP99Ms < latencyMedianMs) {
      throw new IllegalArgumentException("latency needs 0 < median <= p99");
    }
  }

  /** The lognormal's sigma: ln(p99 / median) / z99. */
  double sigma() {
    return Math.log(latencyP99Ms / latencyMedianMs) / Z99;
  }

  /** A latency sample for a standard normal draw {@code z}. */
  double latencyMs(double z) {
    return latencyMedianMs * Math.exp(sigma() * z);
  }
}
