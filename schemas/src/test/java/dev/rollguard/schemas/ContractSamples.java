package dev.rollguard.schemas;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.avro.Action;
import dev.rollguard.avro.Advice;
import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.Finding;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.avro.VariantStats;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.datasketches.hll.HllSketch;

/** One fully populated instance of every contract record, for round trips here and in other modules' tests. */
public final class ContractSamples {
  public static final Instant T0 = Instant.parse("2026-11-02T10:00:00Z");

  private ContractSamples() {}

  public static List<SpecificRecord> all() {
    return List.of(flagImpression(), disabledImpression(), requestMetric(), flagWindowStats(), flagState(),
        rolloutDecision(), deadLetter(), applyOutcome());
  }

  public static FlagImpression flagImpression() {
    return FlagImpression.newBuilder()
        .setEventId("7b0e4c1e-0d7f-4a4e-9c55-1f7a5c2f0a01")
        .setTimestamp(T0)
        .setAppName("checkout-service")
        .setEnvironment("production")
        .setFeatureName("new-checkout")
        .setEnabled(true)
        .setVariant("blue")
        .setUserId("user-42")
        .setSessionId("session-9")
        .setContext(Map.of("country", "DE", "plan", "pro"))
        .build();
  }

  /** The flag is off for the user: the SDKs report the variant "disabled"; no user id, only a session. */
  public static FlagImpression disabledImpression() {
    return FlagImpression.newBuilder()
        .setEventId("7b0e4c1e-0d7f-4a4e-9c55-1f7a5c2f0a02")
        .setTimestamp(T0.plusMillis(1))
        .setAppName("checkout-service")
        .setEnvironment("production")
        .setFeatureName("new-checkout")
        .setEnabled(false)
        .setVariant("disabled")
        .setUserId(null)
        .setSessionId("session-10")
        .build();
  }

  public static RequestMetric requestMetric() {
    return RequestMetric.newBuilder()
        .setEventId("2f9d7c1a-5b6e-4f7d-8a9b-0c1d2e3f4a5b")
        .setTimestamp(T0.plusSeconds(2))
        .setAppName("checkout-service")
        .setEnvironment("production")
        .setUserId("user-42")
        .setSessionId(null)
        .setRoute("/checkout/{id}")
        .setExposures(List.of(
            new Exposure("new-checkout", true, "blue"),
            new Exposure("fast-search", false, "disabled")))
        .setLatencyMs(123.25)
        .setStatusCode(200)
        .setError(false)
        .setConverted(true)
        .setGoal("purchase")
        .build();
  }

  public static VariantStats variantStats(int seed) {
    DDSketch latency = Sketches.newLatencySketch();
    HllSketch users = Sketches.newDistinctSketch();
    HllSketch converting = Sketches.newDistinctSketch();
    for (int i = 0; i < 100; i++) {
      latency.accept(10 + i + seed);
      Sketches.addUnit(users, "user-" + (i % 40));
      if (i % 10 == 0) {
        Sketches.addUnit(converting, "user-" + (i % 40));
      }
    }
    return VariantStats.newBuilder()
        .setImpressions(120)
        .setUniqueUsers(Sketches.estimate(users))
        .setRequests(100)
        .setErrors(3)
        .setErrorRate(0.03)
        .setLatencyP50Ms(latency.getValueAtQuantile(0.5))
        .setLatencyP95Ms(latency.getValueAtQuantile(0.95))
        .setLatencyP99Ms(latency.getValueAtQuantile(0.99))
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(latency)))
        .setConversions(10)
        .setConvertingUsers(Sketches.estimate(converting))
        .setConversionRate((double) Sketches.estimate(converting) / Sketches.estimate(users))
        .setUserSketch(ByteBuffer.wrap(Sketches.encodeDistinct(users)))
        .setConvertingSketch(ByteBuffer.wrap(Sketches.encodeDistinct(converting)))
        .build();
  }

  public static FlagWindowStats flagWindowStats() {
    return FlagWindowStats.newBuilder()
        .setFlag("new-checkout")
        .setEnvironment("production")
        .setWindowStart(T0)
        .setWindowEnd(T0.plusSeconds(300))
        .setControlVariant("disabled")
        .setVariants(Map.of("disabled", variantStats(0), "blue", variantStats(5)))
        .build();
  }

  public static FlagState flagState() {
    return FlagState.newBuilder()
        .setFlag("new-checkout")
        .setEnvironment("production")
        .setProject("default")
        .setEnabled(true)
        .setRolloutPercent(25)
        .setStrategyId("6c2f3b7e-strategy")
        .setManaged(true)
        .setPaused(false)
        .setLastChangedBy("rollguard-applier")
        .setLastChangedAt(T0.minusSeconds(600))
        .setLastEventId(1234L)
        .build();
  }

  public static RolloutDecision rolloutDecision() {
    return RolloutDecision.newBuilder()
        .setDecisionId("3d6f0a2e-1111-3c4d-8e9f-000000000001")
        .setFlag("new-checkout")
        .setEnvironment("production")
        .setWindowStart(T0)
        .setWindowEnd(T0.plusSeconds(300))
        .setAction(Action.INCREASE)
        .setFromPercent(25)
        .setToPercent(50)
        .setReason("no regression at 25%: error rate and p99 within margins")
        .setConfidence(0.93)
        .setDecidedBy(DecidedBy.LLM)
        .setFindings(List.of(
            new Finding("error_rate", "blue", "PASS", 0.011, 0.012, 0.005, 0.61),
            new Finding("sample_size", "blue", "PASS", 1500.0, null, 1000.0, null)))
        .setAdvice(new Advice("qwen2.5-1.5b-instruct", 4200L, "INCREASE", 50, "metrics are flat"))
        .setMode(Mode.ENFORCE)
        .setCreatedAt(T0.plusSeconds(301))
        .build();
  }

  public static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setSourceTopic("flag.impressions")
        .setPartition(3)
        .setOffset(987654321L)
        .setReason("unknown schema id 42")
        .setCategory("deserialization")
        .setKey(ByteBuffer.wrap(new byte[] {1, 2, 3}))
        .setValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 42, 7}))
        .setFailedAt(T0)
        .build();
  }

  public static ApplyOutcome applyOutcome() {
    return ApplyOutcome.newBuilder()
        .setDecisionId("3d6f0a2e-1111-3c4d-8e9f-000000000001")
        .setFlag("new-checkout")
        .setEnvironment("production")
        .setAction(Action.INCREASE)
        .setOutcome(OutcomeKind.APPLIED)
        .setReason("applied")
        .setFromPercent(25)
        .setToPercent(50)
        .setHttpStatus(200)
        .setResponse("{}")
        .setAt(T0.plusSeconds(302))
        .build();
  }
}
