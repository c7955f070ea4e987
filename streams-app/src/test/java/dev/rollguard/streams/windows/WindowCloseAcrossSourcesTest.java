package dev.rollguard.streams.windows;

import static dev.rollguard.streams.windows.Events.impression;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.schemas.serde.InMemorySchemaRegistryClient;
import dev.rollguard.streams.config.StreamsAppConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * Window close with several intake tasks (sources). {@code TopologyTestDriver} has one partition per source topic,
 * so these tests drive the aggregator through the repartition topic, with partials and source watermarks of two
 * sources, as two intake tasks that drift apart in event time would send them. Windows are 1 minute with 30 s grace,
 * so the idle timeout is 30 s; the wall clock starts at {@link #T0}.
 */
final class WindowCloseAcrossSourcesTest {
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
  static final String KEY = Events.ENV + "/new-checkout";

  private final WindowsSerdes serdes = WindowsSerdes.of(new InMemorySchemaRegistryClient());
  private final WindowsMetrics metrics = new WindowsMetrics(new SimpleMeterRegistry());
  private final StreamsAppConfig config = StreamsAppConfig.defaults("unused:9092")
      .withWindows(Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofSeconds(1));

  private TopologyTestDriver driver;
  private TestInputTopic<String, RepartitionRecord> repartition;
  private TestOutputTopic<String, FlagWindowStats> stats;
  private TestOutputTopic<byte[], DeadLetter> dlq;
  private long offset;

  @BeforeEach
  void start() {
    Properties props = WindowsTopology.streamsProperties(config, serdes, metrics);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    driver = new TopologyTestDriver(WindowsTopology.buildTopology(config, serdes, metrics), props, T0);
    repartition = driver.createInputTopic(
        config.applicationId() + "-" + WindowsTopology.REPARTITION + "-repartition",
        new StringSerializer(), new RepartitionRecordSerde().serializer());
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

  /** What intake task {@code source} flushes: one impression per time, then its watermark (its latest event). */
  private void flush(int source, String... times) {
    long latest = Long.MIN_VALUE;
    for (String time : times) {
      long ts = at(time).toEpochMilli();
      long start = Math.floorDiv(ts, 60_000L) * 60_000L;
      PartialWindow p = new PartialWindow(new WindowAggregate(FlagKey.parse(KEY), start, start + 60_000L));
      p.add(Observation.impression(ts, "blue", "u:" + source + "-" + offset, source, offset++));
      repartition.pipeInput(KEY, p, ts);
      latest = Math.max(latest, ts);
    }
    watermark(source, latest);
  }

  private void watermark(int source, long eventTime) {
    repartition.pipeInput("", new SourceWatermark(source, 2, eventTime), eventTime);
  }

  private List<KeyValue<String, FlagWindowStats>> closed() {
    return stats.readKeyValuesToList();
  }

  private static long impressions(KeyValue<String, FlagWindowStats> window) {
    return window.value.getVariants().get("blue").getImpressions();
  }

  @Test
  void aSourceAheadByMoreThanTheGraceHoldsNoWindowClosedForTheSlowOne() {
    flush(0, "10s");
    // Source 1 catches up faster: 3 minutes of events while source 0 has read 10 s.
    flush(1, "20s", "50s", "1m10s", "1m50s", "2m20s", "3m");
    assertThat(closed()).as("source 0 is at 10:00:10: window [10:00, 10:01) stays open").isEmpty();

    // Source 0's later events of the first window: late under "the largest event time seen" (10:03 > 10:01:30).
    flush(0, "40s", "55s");
    assertThat(closed()).isEmpty();
    flush(0, "1m20s", "1m31s");

    List<KeyValue<String, FlagWindowStats>> out = closed();
    assertThat(out).singleElement().satisfies(w -> {
      assertThat(w.value.getWindowStart()).isEqualTo(T0);
      assertThat(impressions(w)).as("10 s, 40 s, 55 s of source 0; 20 s, 50 s of source 1").isEqualTo(5);
    });
    flush(0, "2m10s", "3m5s");
    assertThat(closed()).as("now the slowest source is source 1, at 10:03").extracting(w -> w.value.getWindowStart())
        .containsExactly(at("1m"));
    assertThat(dlq.isEmpty()).as("nothing late").isTrue();
    assertThat(metrics.deadLetters(DeadLetterReason.LATE)).isZero();
  }

  @Test
  void aSourceSilentForTheIdleTimeoutNoLongerHoldsWindowsOpen() {
    flush(1, "5s");
    // Source 1 then has no traffic at all; source 0 goes on, reporting every 10 s of wall clock.
    for (int i = 1; i <= 3; i++) {
      driver.advanceWallClockTime(Duration.ofSeconds(10));
      flush(0, (i * 40) + "s");
    }
    assertThat(closed()).as("30 s since source 1 was heard: it still holds the window").isEmpty();

    driver.advanceWallClockTime(Duration.ofSeconds(1));

    assertThat(closed()).singleElement().satisfies(w -> assertThat(impressions(w)).isEqualTo(2));
    assertThat(metrics.emitted("stream-time")).as("closed by source 0's event time, not extrapolated").isEqualTo(1);
    assertThat(metrics.emitted("wall-clock")).isZero();
    // Source 1 comes back with an event of the closed window: late, with its count and offsets, as before.
    flush(1, "50s");
    assertThat(dlq.readValuesToList()).extracting(DeadLetter::getCategory).containsExactly("late");
  }

  @Test
  void aSourceExpectedButNeverHeardHoldsWindowsForOneIdleTimeoutOnly() {
    // The watermark names 2 sources; source 1 never reports (a partition without any traffic).
    for (int i = 1; i <= 4; i++) {
      flush(0, (i * 30) + "s");
      driver.advanceWallClockTime(Duration.ofSeconds(10));
    }
    List<KeyValue<String, FlagWindowStats>> out = closed();
    assertThat(out).as("held until source 1 idled out 30 s after it was expected, then closed").hasSize(1);
    assertThat(impressions(out.get(0))).as("10:00:30").isEqualTo(1);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void theWallClockStillClosesTheLastWindowsWhenEverySourceStops() {
    flush(0, "10s");
    flush(1, "20s", "1m40s");
    // Both stop. The sources' watermark is 10:00:10 (source 0), and the wall clock runs on from there.
    driver.advanceWallClockTime(Duration.ofSeconds(79));
    assertThat(closed()).as("10:00:10 + 79 s < 10:01:30").isEmpty();
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    assertThat(closed()).extracting(w -> w.value.getWindowStart()).containsExactly(T0);
    driver.advanceWallClockTime(Duration.ofSeconds(60));
    assertThat(closed()).extracting(w -> w.value.getWindowStart()).containsExactly(at("1m"));
    assertThat(metrics.emitted("wall-clock")).isEqualTo(2);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void theIntakeSendsItsLatestEventTimeAfterTheFlushesPartialsAndTheAggregatorPersistsIt() {
    TestInputTopic<byte[], dev.rollguard.avro.FlagImpression> impressions = driver.createInputTopic(
        config.impressionsTopic(), new ByteArraySerializer(), serdes.impressions().serializer());
    TestOutputTopic<String, RepartitionRecord> sent = driver.createOutputTopic(
        config.applicationId() + "-" + WindowsTopology.REPARTITION + "-repartition",
        new StringDeserializer(), new RepartitionRecordSerde().deserializer());
    TestOutputTopic<byte[], byte[]> changelog = driver.createOutputTopic(
        config.applicationId() + "-" + WindowsTopology.STORE + "-changelog",
        new ByteArrayDeserializer(), new ByteArrayDeserializer());

    impressions.pipeInput(null, impression("new-checkout", true, "blue", "u1", at("20s")));
    impressions.pipeInput(null, impression("new-checkout", true, "blue", "u2", at("5s")));

    List<TestRecord<String, RepartitionRecord>> records = sent.readRecordsToList();
    assertThat(records).extracting(TestRecord::value).satisfiesExactly(
        r -> assertThat(r).isInstanceOf(PartialWindow.class),
        r -> assertThat(r).isEqualTo(new SourceWatermark(0, 1, at("20s").toEpochMilli())),
        r -> assertThat(r).isInstanceOf(PartialWindow.class),
        r -> assertThat(r).as("an older event does not move it back")
            .isEqualTo(new SourceWatermark(0, 1, at("20s").toEpochMilli())));
    assertThat(changelog.readRecordsToList()).filteredOn(r -> r.key().length == 5)
        .last().satisfies(r -> {
          assertThat(r.key()[0]).isEqualTo((byte) 'S');
          assertThat(ByteBuffer.wrap(r.key(), 1, 4).getInt()).isZero();
          assertThat(ByteBuffer.wrap(r.value()).getLong()).isEqualTo(at("20s").toEpochMilli());
        });
  }
}
