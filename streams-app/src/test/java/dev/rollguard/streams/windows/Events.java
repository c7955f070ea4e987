package dev.rollguard.streams.windows;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builders of input events for tests and the benchmark. */
final class Events {
  static final String ENV = "production";

  private Events() {}

  static FlagImpression impression(String flag, boolean enabled, String variant, String userId, Instant at) {
    return FlagImpression.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTimestamp(at)
        .setAppName("shop")
        .setEnvironment(ENV)
        .setFeatureName(flag)
        .setEnabled(enabled)
        .setVariant(variant)
        .setUserId(userId)
        .setSessionId(null)
        .setContext(Map.of())
        .build();
  }

  static Exposure exposure(String flag, boolean enabled, String variant) {
    return Exposure.newBuilder().setFeatureName(flag).setEnabled(enabled).setVariant(variant).build();
  }

  static RequestMetric.Builder request(String userId, Instant at, double latencyMs, Exposure... exposures) {
    return RequestMetric.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setTimestamp(at)
        .setAppName("shop")
        .setEnvironment(ENV)
        .setUserId(userId)
        .setSessionId(null)
        .setRoute("/checkout")
        .setExposures(List.of(exposures))
        .setLatencyMs(latencyMs)
        .setStatusCode(200)
        .setError(false)
        .setConverted(false)
        .setGoal(null);
  }
}
