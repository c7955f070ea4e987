package dev.rollguard.streams.windows;

import static dev.rollguard.streams.windows.Events.exposure;
import static dev.rollguard.streams.windows.Events.impression;
import static dev.rollguard.streams.windows.Events.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.schemas.Sketches;
import dev.rollguard.schemas.serde.InMemorySchemaRegistryClient;
import dev.rollguard.schemas.serde.WireFormat;
import dev.rollguard.streams.config.StreamsAppConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The windows topology on {@code TopologyTestDriver}, in the style of Kafka's {@code SuppressScenarioTest}: records
 * with explicit event times, stream time (or the wall clock) advanced to close a window, then the exact output.
 * Windows are 1 minute with 30 s grace; the wall clock starts at {@link #T0}.
 */
final class WindowsTopologyTest {
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
  static final String FLAG = "new-checkout";
  static final String KEY = Events.ENV + "/" + FLAG;

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final WindowsSerdes serdes = WindowsSerdes.of(registry);
  private final WindowsMetrics metrics = new WindowsMetrics(new SimpleMeterRegistry());
  private final StreamsAppConfig config = StreamsAppConfig.defaults("unused:9092")
      .withWindows(Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofSeconds(1));

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], FlagImpression> impressions;
  private TestInputTopic<byte[], RequestMetric> requests;
  private TestInputTopic<byte[], byte[]> rawImpressions;
  private TestInputTopic<byte[], byte[]> rawRequests;
  private TestOutputTopic<String, FlagWindowStats> stats;
  private TestOutputTopic<byte[], DeadLetter> dlq;

  @BeforeEach
  void start() {
    Properties props = WindowsTopology.streamsProperties(config, serdes, metrics);
    // TopologyTestDriver's EOS emulation drops records sent outside processing (the deserialization handler's dead
    // letters); the topology behaves the same under both guarantees, and WindowsIT runs it with EOS on a broker.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    driver = new TopologyTestDriver(WindowsTopology.buildTopology(config, serdes, metrics), props, T0);
    ByteArraySerializer bytes = new ByteArraySerializer();
    impressions = driver.createInputTopic(config.impressionsTopic(), bytes, serdes.impressions().serializer());
    requests = driver.createInputTopic(config.requestMetricsTopic(), bytes, serdes.requestMetrics().serializer());
    rawImpressions = driver.createInputTopic(config.impressionsTopic(), bytes, bytes);
    rawRequests = driver.createInputTopic(config.requestMetricsTopic(), bytes, bytes);
    stats = driver.createOutputTopic(config.windowStatsTopic(), new StringDeserializer(),
        serdes.windowStats().deserializer());
    dlq = driver.createOutputTopic(config.deadLetterTopic(), new ByteArrayDeserializer(),
        serdes.deadLetters().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private static Instant at(String offsetFromT0) {
    return T0.plus(Duration.parse("PT" + offsetFromT0.toUpperCase()));
  }

  private void impress(String flag, boolean enabled, String variant, String user, Instant at) {
    impressions.pipeInput(null, impression(flag, enabled, variant, user, at));
  }

  /** Advances stream time with an event of an unrelated flag. */
  private void tick(Instant at) {
    impress("stream-time-ticker", false, "disabled", "ticker", at);
  }

  private List<KeyValue<String, FlagWindowStats>> closedWindowsOf(String key) {
    return stats.readKeyValuesToList().stream().filter(kv -> kv.key.equals(key)).toList();
  }

  @Test
  void emitsNothingBeforeTheWindowClosesAndOneCorrectRecordAfter() {
    impress(FLAG, false, "disabled", "u1", at("5s"));
    impress(FLAG, true, "disabled", "u2", at("10s"));
    requests.pipeInput(request("u1", at("6s"), 100, exposure(FLAG, false, "disabled")).build());
    requests.pipeInput(request("u2", at("11s"), 200, exposure(FLAG, true, "disabled")).setError(true).build());
    requests.pipeInput(request("u2", at("59.999s"), 300, exposure(FLAG, true, "disabled")).build());
    tick(at("1m29.999s"));
    assertThat(stats.isEmpty()).as("nothing before end + grace").isTrue();

    tick(at("1m30s"));

    List<TestRecord<String, FlagWindowStats>> out = stats.readRecordsToList();
    assertThat(out).hasSize(1);
    FlagWindowStats s = out.get(0).value();
    assertThat(out.get(0).key()).isEqualTo(KEY);
    assertThat(out.get(0).timestamp()).isEqualTo(at("59.999s").toEpochMilli());
    assertThat(s.getFlag()).isEqualTo(FLAG);
    assertThat(s.getEnvironment()).isEqualTo("production");
    assertThat(s.getWindowStart()).isEqualTo(T0);
    assertThat(s.getWindowEnd()).isEqualTo(at("1m"));
    assertThat(s.getControlVariant()).isEqualTo("disabled");
    assertThat(s.getVariants()).containsOnlyKeys("disabled", "enabled");
    VariantStats control = s.getVariants().get("disabled");
    assertThat(control.getImpressions()).isEqualTo(1);
    assertThat(control.getRequests()).isEqualTo(1);
    assertThat(control.getUniqueUsers()).isEqualTo(1);
    assertThat(control.getLatencyP50Ms()).isCloseTo(100, within(1.0));
    VariantStats treatment = s.getVariants().get("enabled");
    assertThat(treatment.getImpressions()).isEqualTo(1);
    assertThat(treatment.getRequests()).isEqualTo(2);
    assertThat(treatment.getErrors()).isEqualTo(1);
    assertThat(treatment.getErrorRate()).isEqualTo(0.5);
    assertThat(treatment.getUniqueUsers()).isEqualTo(1);
    assertThat(Sketches.decodeLatency(treatment.getLatencySketch().array()).getCount()).isEqualTo(2.0);

    tick(at("4m"));
    assertThat(closedWindowsOf(KEY)).as("emitted once only").isEmpty();
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void aLateRecordWithinGraceIsCountedAndOneAfterGraceIsDeadLettered() {
    impress(FLAG, true, "blue", "u1", at("10s"));
    tick(at("1m10s"));
    impress(FLAG, true, "blue", "u2", at("50s"));
    assertThat(stats.isEmpty()).isTrue();

    tick(at("1m30s"));
    List<KeyValue<String, FlagWindowStats>> closed = closedWindowsOf(KEY);
    assertThat(closed).hasSize(1);
    assertThat(closed.get(0).value.getVariants().get("blue").getImpressions()).isEqualTo(2);

    impress(FLAG, true, "blue", "u3", at("55s"));

    assertThat(stats.isEmpty()).as("no second emission of a closed window").isTrue();
    List<TestRecord<byte[], DeadLetter>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(1);
    DeadLetter d = dead.get(0).value();
    assertThat(d.getCategory()).isEqualTo("late");
    assertThat(d.getReason()).startsWith("late: impression for " + KEY).contains("closed 0 s ago");
    assertThat(d.getSourceTopic()).isEqualTo(config.impressionsTopic());
    assertThat(d.getOffset()).isEqualTo(4);
    assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo(KEY);
    assertThat(metrics.deadLetters(DeadLetterReason.LATE)).isEqualTo(1);
  }

  @Test
  void aRequestCountsForEveryFlagItWasServedUnder() {
    requests.pipeInput(request("u1", at("20s"), 42,
        exposure("checkout", true, "fast-path"),
        exposure("search", false, "disabled"),
        exposure("checkout", true, "fast-path"),
        exposure("banner", true, "disabled")).setConverted(true).build());
    tick(at("2m"));

    List<KeyValue<String, FlagWindowStats>> out = stats.readKeyValuesToList().stream()
        .filter(kv -> !kv.key.endsWith("ticker")).toList();
    assertThat(out).extracting(kv -> kv.key)
        .containsExactly("production/banner", "production/checkout", "production/search");
    VariantStats checkout = out.get(1).value.getVariants().get("fast-path");
    assertThat(checkout.getRequests()).as("listed twice, counted once").isEqualTo(1);
    assertThat(checkout.getConversions()).isEqualTo(1);
    assertThat(out.get(2).value.getVariants()).containsOnlyKeys("disabled");
    assertThat(out.get(2).value.getVariants().get("disabled").getRequests()).isEqualTo(1);
    assertThat(out.get(0).value.getVariants()).as("enabled without a variant is treatment").containsOnlyKeys("enabled");
  }

  @Test
  void errorRateIsErrorsOverRequestsPerVariant() {
    for (int i = 0; i < 200; i++) {
      requests.pipeInput(request("t" + i, at("1s").plusMillis(i), 50, exposure(FLAG, true, "treatment"))
          .setError(i % 20 == 0).setStatusCode(i % 20 == 0 ? 503 : 200).build());
    }
    for (int i = 0; i < 100; i++) {
      requests.pipeInput(request("c" + i, at("2s").plusMillis(i), 50, exposure(FLAG, false, "disabled"))
          .setError(i == 7).build());
    }
    tick(at("2m"));

    FlagWindowStats s = closedWindowsOf(KEY).get(0).value;
    assertThat(s.getVariants().get("treatment").getErrors()).isEqualTo(10);
    assertThat(s.getVariants().get("treatment").getErrorRate()).isEqualTo(0.05);
    assertThat(s.getVariants().get("disabled").getErrorRate()).isEqualTo(0.01);
    assertThat(s.getVariants().get("treatment").getUniqueUsers()).isEqualTo(200);
  }

  @Test
  void latencyQuantilesAreWithinOnePercentOfTheExactOnes() {
    Random random = new Random(42);
    int n = 20_000;
    double[] latencies = new double[n];
    for (int i = 0; i < n; i++) {
      // Lognormal, median ~120 ms, long right tail: the shape of real request latency.
      latencies[i] = Math.exp(Math.log(120) + 0.6 * random.nextGaussian());
      requests.pipeInput(request("u" + (i % 3000), at("1s").plusMillis(i), latencies[i],
          exposure(FLAG, true, "treatment")).build());
    }
    tick(at("2m"));

    VariantStats t = closedWindowsOf(KEY).get(0).value.getVariants().get("treatment");
    double[] sorted = latencies.clone();
    Arrays.sort(sorted);
    assertThat(relativeError(t.getLatencyP50Ms(), exact(sorted, 0.50))).isLessThanOrEqualTo(0.01);
    assertThat(relativeError(t.getLatencyP95Ms(), exact(sorted, 0.95))).isLessThanOrEqualTo(0.01);
    assertThat(relativeError(t.getLatencyP99Ms(), exact(sorted, 0.99))).isLessThanOrEqualTo(0.01);
    assertThat(t.getUniqueUsers()).as("HLL estimate of 3000 users").isCloseTo(3000, within(150L));
  }

  /** The value at rank q·(n−1), the definition DDSketch's guarantee refers to. */
  private static double exact(double[] sorted, double q) {
    return sorted[(int) Math.floor(q * (sorted.length - 1))];
  }

  private static double relativeError(double estimate, double exact) {
    return Math.abs(estimate - exact) / exact;
  }

  @Test
  void conversionUnitsAreUserThenSessionThenEvent() {
    String v = "treatment";
    impress(FLAG, true, v, "u1", at("1s"));
    requests.pipeInput(request("u1", at("2s"), 10, exposure(FLAG, true, v)).setConverted(true).build());
    requests.pipeInput(request("u1", at("3s"), 10, exposure(FLAG, true, v)).setConverted(true).build());
    requests.pipeInput(request(null, at("4s"), 10, exposure(FLAG, true, v)).setSessionId("s1").setConverted(true)
        .build());
    // A userId wins over a sessionId: this is user u2, not session s1.
    requests.pipeInput(request("u2", at("5s"), 10, exposure(FLAG, true, v)).setSessionId("s1").build());
    // Neither: each event is its own unit.
    requests.pipeInput(request(null, at("6s"), 10, exposure(FLAG, true, v)).setEventId("ev9").build());
    requests.pipeInput(request(null, at("7s"), 10, exposure(FLAG, true, v)).setEventId("ev10").setConverted(true)
        .build());
    tick(at("2m"));

    VariantStats t = closedWindowsOf(KEY).get(0).value.getVariants().get(v);
    assertThat(t.getUniqueUsers()).as("u1, u2, s1, ev9, ev10").isEqualTo(5);
    assertThat(t.getConversions()).as("converted requests").isEqualTo(4);
    assertThat(t.getConvertingUsers()).as("u1, s1, ev10").isEqualTo(3);
    assertThat(t.getConversionRate()).isEqualTo(3.0 / 5);
    assertThat(Sketches.estimate(Sketches.decodeDistinct(t.getConvertingSketch().array()))).isEqualTo(3);
  }

  @Test
  void theWallClockClosesTheLastWindowOfAFlagWhoseTrafficStopped() {
    impress(FLAG, true, "blue", "u1", at("10s"));
    impress(FLAG, true, "blue", "u2", at("40s"));
    // Stream time is 10:00:40 and stays there: no more events.
    driver.advanceWallClockTime(Duration.ofSeconds(49));
    assertThat(stats.isEmpty()).as("10:00:40 + 49 s < end + grace").isTrue();

    driver.advanceWallClockTime(Duration.ofSeconds(2));

    List<KeyValue<String, FlagWindowStats>> out = stats.readKeyValuesToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).key).isEqualTo(KEY);
    assertThat(out.get(0).value.getVariants().get("blue").getImpressions()).isEqualTo(2);
    assertThat(metrics.emitted("wall-clock")).isEqualTo(1);
    assertThat(metrics.emitted("stream-time")).isZero();

    driver.advanceWallClockTime(Duration.ofMinutes(5));
    assertThat(stats.isEmpty()).isTrue();
    impress(FLAG, true, "blue", "u3", at("50s"));
    assertThat(dlq.readValuesToList()).extracting(DeadLetter::getCategory).containsExactly("late");
  }

  @Test
  void aReplayOfOldEventsIsClosedByStreamTimeNotByTheWallClock() {
    Instant dayAgo = T0.minus(Duration.ofDays(1));
    for (int i = 0; i < 10; i++) {
      impress(FLAG, true, "blue", "u" + i, dayAgo.plusSeconds(i * 5));
      driver.advanceWallClockTime(Duration.ofSeconds(1));
    }
    assertThat(stats.isEmpty()).as("a day behind the wall clock, but the window is still open in stream time").isTrue();
    impress(FLAG, true, "blue", "u10", dayAgo.plusSeconds(100));
    assertThat(stats.readValuesToList()).singleElement()
        .satisfies(s -> assertThat(s.getVariants().get("blue").getImpressions()).isEqualTo(10));
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void undecodableBytesAreDeadLetteredWithTheirReasonAndThePipelineContinues() {
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    rawImpressions.pipeInput(key, "not avro at all".getBytes(StandardCharsets.UTF_8));
    rawImpressions.pipeInput(key, new byte[] {0x00, 0x00});
    rawRequests.pipeInput(key, WireFormat.frame(42, new byte[] {1, 2, 3}));
    int requestSchemaId = registry.register("any", ((dev.rollguard.schemas.serde.AvroSerde<?>) serdes.requestMetrics())
        .schema());
    rawRequests.pipeInput(key, WireFormat.frame(requestSchemaId, new byte[] {(byte) 0xff, 0x7f}));
    impress(FLAG, true, "blue", "u1", at("1s"));
    tick(at("2m"));

    List<TestRecord<byte[], DeadLetter>> dead = dlq.readRecordsToList();
    assertThat(dead).extracting(r -> r.value().getCategory()).containsOnly("deserialization");
    assertThat(dead).extracting(r -> r.value().getReason()).satisfiesExactly(
        r -> assertThat(r).isEqualTo("malformed: unknown magic byte 0x6e, expected 0x00"),
        r -> assertThat(r).startsWith("malformed: too short"),
        r -> assertThat(r).isEqualTo("unknown schema id 42"),
        r -> assertThat(r).startsWith("malformed: Avro body does not decode"));
    assertThat(dead).extracting(r -> r.value().getSourceTopic()).containsExactly(config.impressionsTopic(),
        config.impressionsTopic(), config.requestMetricsTopic(), config.requestMetricsTopic());
    assertThat(dead.get(0).key()).isEqualTo(key);
    assertThat(dead.get(0).value().getValue().array()).isEqualTo("not avro at all".getBytes(StandardCharsets.UTF_8));
    assertThat(dead.get(2).value().getOffset()).isZero();
    assertThat(dead.get(3).value().getOffset()).isEqualTo(1);
    assertThat(metrics.deadLetters(DeadLetterReason.MALFORMED)).isEqualTo(3);
    assertThat(metrics.deadLetters(DeadLetterReason.UNKNOWN_SCHEMA_ID)).isEqualTo(1);
    assertThat(closedWindowsOf(KEY)).as("the good event after the bad ones still counts").hasSize(1);
  }

  @Test
  void semanticallyBadEventsAreDeadLetteredWithANamedReason() {
    requests.pipeInput(request("u", at("1s"), -1, exposure(FLAG, true, "blue")).build());
    requests.pipeInput(request("u", at("1s"), Double.NaN, exposure(FLAG, true, "blue")).build());
    requests.pipeInput(request("u", at("1s"), Double.POSITIVE_INFINITY, exposure(FLAG, true, "blue")).build());
    requests.pipeInput(request("u", at("1s"), 5).build());
    requests.pipeInput(request("u", at("1s"), 5, exposure(FLAG, true, "blue"), exposure(" ", true, "x")).build());
    requests.pipeInput(request("u", at("1s"), 5, exposure(FLAG, true, "blue")).setEnvironment("").build());
    requests.pipeInput(request("u", at("1s"), 5, exposure(FLAG, true, "blue")).setEnvironment("prod/eu").build());
    impress("", true, "blue", "u", at("1s"));
    impress(FLAG, true, "blue", "u", at("5m1s"));
    impressions.pipeInput("raw-key".getBytes(StandardCharsets.UTF_8), null);
    impress(FLAG, true, "blue", "u", at("5m"));
    driver.advanceWallClockTime(Duration.ofMinutes(2));

    List<DeadLetter> dead = dlq.readValuesToList();
    assertThat(dead).extracting(DeadLetter::getCategory).containsOnly("invalid");
    assertThat(dead).extracting(DeadLetter::getReason).containsExactly(
        "latency must be finite and >= 0, got -1.0",
        "latency must be finite and >= 0, got NaN",
        "latency must be finite and >= 0, got Infinity",
        "request metric without exposures",
        "missing flag name in an exposure",
        "blank environment",
        "environment contains '/': prod/eu",
        "missing flag name",
        "timestamp 2026-11-24T10:05:01Z is 301 s ahead of the wall clock (max skew 300 s)",
        "null value (tombstone) on an event topic");
    assertThat(dead).extracting(DeadLetter::getOffset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 0L, 1L, 2L);
    assertThat(metrics.deadLetters(DeadLetterReason.BAD_LATENCY)).isEqualTo(3);
    assertThat(metrics.deadLetters(DeadLetterReason.NO_EXPOSURES)).isEqualTo(1);
    assertThat(metrics.deadLetters(DeadLetterReason.MISSING_FLAG)).isEqualTo(2);
    assertThat(metrics.deadLetters(DeadLetterReason.BLANK_ENVIRONMENT)).isEqualTo(1);
    assertThat(metrics.deadLetters(DeadLetterReason.BAD_ENVIRONMENT)).isEqualTo(1);
    assertThat(metrics.deadLetters(DeadLetterReason.FUTURE_TIMESTAMP)).isEqualTo(1);
    assertThat(metrics.deadLetters(DeadLetterReason.NULL_VALUE)).isEqualTo(1);
    List<KeyValue<String, FlagWindowStats>> closed = closedWindowsOf(KEY);
    assertThat(closed).as("only the valid impression at 10:05 was aggregated").hasSize(1);
    assertThat(closed.get(0).value.getWindowStart()).isEqualTo(at("5m"));
    assertThat(closed.get(0).value.getVariants().get("blue").getImpressions()).isEqualTo(1);
  }

  @Test
  void theChangelogGetsTheWindowOncePerCommitAndATombstoneOnClose() {
    for (int i = 0; i < 50; i++) {
      impress(FLAG, true, "blue", "u" + i, at("1s").plusMillis(i));
    }
    TestOutputTopic<byte[], byte[]> changelog = driver.createOutputTopic(
        config.applicationId() + "-" + WindowsTopology.STORE + "-changelog",
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TestRecord<byte[], byte[]>> writes = changelog.readRecordsToList().stream()
        .filter(r -> r.key().length > 8).toList();
    assertThat(writes).isNotEmpty();
    WindowAggregate last = new WindowAggregateSerde().deserialize(writes.get(writes.size() - 1).value());
    assertThat(last.variants().get("blue").impressions()).as("the changelog holds the full aggregate").isEqualTo(50);

    tick(at("2m"));
    List<TestRecord<byte[], byte[]>> after = changelog.readRecordsToList().stream()
        .filter(r -> r.key().length > 8)
        .filter(r -> new String(r.key(), 8, r.key().length - 8, StandardCharsets.UTF_8).equals(KEY)).toList();
    assertThat(after).last().satisfies(r -> assertThat(r.value()).as("tombstone after emission").isNull());
  }

  @Test
  void aRandomWorkloadGivesTheSameWindowsAsAggregatingEveryObservationDirectly() {
    Random r = new Random(2026);
    String[] flags = {"checkout", "search", "banner", "pricing"};
    String[] variants = {"disabled", "blue", "green"};
    Map<String, WindowAggregate> direct = new HashMap<>();
    for (int i = 0; i < 3000; i++) {
      // Four windows of events, out of order by up to 20 s (inside the 30 s grace): nothing is late.
      Instant ts = T0.plusMillis(i * 70L + r.nextInt(20_000));
      String user = "u" + r.nextInt(500);
      if (r.nextBoolean()) {
        String flag = flags[r.nextInt(flags.length)];
        String variant = variants[r.nextInt(variants.length)];
        boolean enabled = !variant.equals("disabled");
        impress(flag, enabled, variant, user, ts);
        directly(direct, flag, Observation.impression(ts.toEpochMilli(), Variants.effective(enabled, variant),
            "u:" + user, 0, 0));
      } else {
        List<dev.rollguard.avro.Exposure> exposures = new ArrayList<>();
        for (String flag : flags) {
          if (r.nextInt(3) == 0 || exposures.isEmpty() && flag.equals(flags[flags.length - 1])) {
            String variant = variants[r.nextInt(variants.length)];
            exposures.add(exposure(flag, !variant.equals("disabled"), variant));
          }
        }
        double latency = Math.exp(Math.log(80) + 0.5 * r.nextGaussian());
        boolean error = r.nextInt(40) == 0;
        boolean converted = r.nextInt(15) == 0;
        requests.pipeInput(request(user, ts, latency, exposures.toArray(dev.rollguard.avro.Exposure[]::new))
            .setError(error).setConverted(converted).build());
        for (var x : exposures) {
          directly(direct, x.getFeatureName(), Observation.request(ts.toEpochMilli(),
              Variants.effective(x.getEnabled(), x.getVariant()), "u:" + user, latency, error, converted, 0, 0));
        }
      }
    }
    // The last window closes at 10:04:30 (and the wall clock at 10:00 allows events up to 10:05).
    tick(at("4m30s"));

    Map<String, FlagWindowStats> emitted = new HashMap<>();
    for (KeyValue<String, FlagWindowStats> kv : stats.readKeyValuesToList()) {
      if (!kv.key.endsWith("ticker")) {
        assertThat(emitted.put(kv.key + "@" + kv.value.getWindowStart(), kv.value)).as("emitted once").isNull();
      }
    }
    assertThat(emitted.keySet()).containsExactlyInAnyOrderElementsOf(direct.keySet());
    direct.forEach((window, expected) ->
        WindowAggregateSerdeTest.assertSameStatistics(emitted.get(window), expected.toStats()));
    assertThat(dlq.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    assertThat(metrics.observations()).as("every observation, and the ticker's").isEqualTo(1 + direct.values().stream()
        .flatMap(a -> a.variants().values().stream()).mapToLong(v -> v.impressions() + v.requests()).sum());
  }

  private static void directly(Map<String, WindowAggregate> windows, String flag, Observation o) {
    FlagKey key = new FlagKey(Events.ENV, flag);
    long start = Math.floorDiv(o.timestamp(), 60_000L) * 60_000L;
    windows.computeIfAbsent(key.format() + "@" + Instant.ofEpochMilli(start),
        k -> new WindowAggregate(key, start, start + 60_000L)).add(o);
  }

  @Test
  void aLatePartialIsDeadLetteredPerTopicWithItsEventCountAndOffsetRange() {
    impress(FLAG, true, "blue", "u1", at("10s"));
    tick(at("1m30s"));
    assertThat(closedWindowsOf(KEY)).hasSize(1);
    // What an intake task would send for window [10:00, 10:01) after a commit interval of events: 3 impressions
    // and 2 requests of partition 2, arriving after the window closed.
    PartialWindow late = new PartialWindow(new WindowAggregate(FlagKey.parse(KEY), T0.toEpochMilli(),
        at("1m").toEpochMilli()));
    late.add(Observation.impression(at("50s").toEpochMilli(), "blue", "u:u7", 2, 120));
    late.add(Observation.impression(at("52s").toEpochMilli(), "blue", "u:u8", 2, 131));
    late.add(Observation.impression(at("51s").toEpochMilli(), "blue", "u:u9", 2, 125));
    late.add(Observation.request(at("55s").toEpochMilli(), "blue", "u:u7", 20, false, false, 2, 88));
    late.add(Observation.request(at("56s").toEpochMilli(), "blue", "u:u8", 20, false, false, 2, 97));
    TestInputTopic<String, PartialWindow> repartition = driver.createInputTopic(
        config.applicationId() + "-" + WindowsTopology.REPARTITION + "-repartition",
        new org.apache.kafka.common.serialization.StringSerializer(), new PartialWindowSerde().serializer());

    repartition.pipeInput(KEY, late, at("56s"));

    assertThat(stats.isEmpty()).as("a closed window is never emitted again").isTrue();
    List<TestRecord<byte[], DeadLetter>> dead = dlq.readRecordsToList();
    assertThat(dead).extracting(r -> r.value().getCategory()).containsExactly("late", "late");
    DeadLetter impressionsLate = dead.get(0).value();
    assertThat(impressionsLate.getReason()).isEqualTo("late: 3 impressions for " + KEY + " at 2026-11-24T10:00:50Z"
        + " to 2026-11-24T10:00:52Z (partition 2, offsets 120 to 131), window [2026-11-24T10:00:00Z,"
        + " 2026-11-24T10:01:00Z) closed 0 s ago (grace 30 s)");
    assertThat(impressionsLate.getSourceTopic()).isEqualTo(config.impressionsTopic());
    assertThat(impressionsLate.getPartition()).isEqualTo(2);
    assertThat(impressionsLate.getOffset()).isEqualTo(120);
    DeadLetter requestsLate = dead.get(1).value();
    assertThat(requestsLate.getReason()).startsWith("late: 2 requests for " + KEY)
        .contains("(partition 2, offsets 88 to 97)");
    assertThat(requestsLate.getSourceTopic()).isEqualTo(config.requestMetricsTopic());
    assertThat(new String(dead.get(1).key(), StandardCharsets.UTF_8)).isEqualTo(KEY);
    assertThat(metrics.deadLetters(DeadLetterReason.LATE)).as("every late observation is counted").isEqualTo(5);
  }
}
