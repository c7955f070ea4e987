package dev.rollguard.simulate;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.schemas.serde.InMemorySchemaRegistryClient;
import dev.rollguard.streams.config.StreamsAppConfig;
import dev.rollguard.streams.windows.Variants;
import dev.rollguard.streams.windows.WindowsMetrics;
import dev.rollguard.streams.windows.WindowsSerdes;
import dev.rollguard.streams.windows.WindowsTopology;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The production windows topology ({@link WindowsTopology#buildTopology}) in a {@link TopologyTestDriver}, with an
 * in-memory schema registry: no broker, no registry. One driver serves the whole simulation.
 *
 * <p>Time: the driver's wall clock is kept at or after the end of the window being fed (events are never in the
 * future), and a window is closed by advancing the wall clock by exactly what the aggregator's wall-clock close needs
 * ({@code end + grace - streamTime}): the same path that closes the last window of a real flag whose traffic paused.
 */
final class TopologyHarness implements AutoCloseable {
  static final String APP_NAME = "rollguard-simulate";
  private static final int DRAIN_EVERY = 256;

  private final StreamsAppConfig config;
  private final WindowsSerdes serdes;
  private final TopologyTestDriver driver;
  private final Path stateDir;
  private final TestInputTopic<byte[], byte[]> impressions;
  private final TestInputTopic<byte[], byte[]> requests;
  private final TestOutputTopic<String, FlagWindowStats> windowStats;
  private final TestOutputTopic<byte[], DeadLetter> deadLetters;
  private final List<TestOutputTopic<byte[], byte[]>> internalTopics;
  private final Serializer<FlagImpression> impressionSerializer;
  private final Serializer<RequestMetric> requestSerializer;
  private long wallClock;
  private long streamTime = Long.MIN_VALUE;
  private long deadLettered;
  private int sinceDrain;

  TopologyHarness(Duration windowSize, Instant start) {
    try {
      this.stateDir = Files.createTempDirectory("rollguard-simulate-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a state directory for the simulation", e);
    }
    StreamsAppConfig defaults = StreamsAppConfig.defaults("simulated:9092");
    // A 1 ms close check makes every wall-clock advance run the close check, whatever its size.
    this.config = defaults.withApplicationId("rollguard-simulate")
        .withWindows(windowSize, defaults.windowGrace(), Duration.ofMillis(1))
        .withStateDir(stateDir.toString());
    this.serdes = WindowsSerdes.of(new InMemorySchemaRegistryClient());
    WindowsMetrics metrics = new WindowsMetrics(new SimpleMeterRegistry());
    Properties props = WindowsTopology.streamsProperties(config, serdes, metrics);
    // TopologyTestDriver's exactly-once emulation drops records written outside processing (the deserialization
    // handler's dead letters); the windows behave the same under both guarantees.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    // Never wait for empty input partitions: the driver has all input at hand, and the waiting check costs a
    // String.format per record inside Streams.
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    this.wallClock = start.toEpochMilli();
    this.driver = new TopologyTestDriver(WindowsTopology.buildTopology(config, serdes, metrics), props, start);
    ByteArraySerializer bytes = new ByteArraySerializer();
    this.impressions = driver.createInputTopic(config.impressionsTopic(), bytes, bytes);
    this.requests = driver.createInputTopic(config.requestMetricsTopic(), bytes, bytes);
    this.windowStats = driver.createOutputTopic(config.windowStatsTopic(), new StringDeserializer(),
        serdes.windowStats().deserializer());
    this.deadLetters = driver.createOutputTopic(config.deadLetterTopic(), new ByteArrayDeserializer(),
        serdes.deadLetters().deserializer());
    // The driver keeps every record written to any topic until read: drain the internal ones each window.
    this.internalTopics = List.of(
        driver.createOutputTopic(config.applicationId() + "-" + WindowsTopology.REPARTITION + "-repartition",
            new ByteArrayDeserializer(), new ByteArrayDeserializer()),
        driver.createOutputTopic(config.applicationId() + "-" + WindowsTopology.STORE + "-changelog",
            new ByteArrayDeserializer(), new ByteArrayDeserializer()));
    this.impressionSerializer = serdes.impressions().serializer();
    this.requestSerializer = serdes.requestMetrics().serializer();
  }

  Duration grace() {
    return config.windowGrace();
  }

  /** Brings the wall clock to the window's end, as if its events were arriving as they happen. */
  void openWindow(long windowEndMillis) {
    advanceWallClockTo(windowEndMillis);
  }

  /** One request: its impression and its request metric, with the flag as its only exposure. */
  void send(String environment, String flag, TrafficGenerator.Request r) {
    Instant at = Instant.ofEpochMilli(r.timestamp());
    String variant = r.treatment() ? Variants.ENABLED : Variants.CONTROL;
    FlagImpression impression = new FlagImpression("i-" + r.eventId(), at, APP_NAME, environment, flag,
        r.treatment(), variant, r.userId(), null, Map.of());
    RequestMetric metric = new RequestMetric("r-" + r.eventId(), at, APP_NAME, environment, r.userId(), null, null,
        List.of(new Exposure(flag, r.treatment(), variant)), r.latencyMs(), r.error() ? 500 : 200, r.error(),
        r.converted(), r.converted() ? "purchase" : null);
    impressions.pipeInput(null, impressionSerializer.serialize(config.impressionsTopic(), impression), at);
    requests.pipeInput(null, requestSerializer.serialize(config.requestMetricsTopic(), metric), at);
    streamTime = Math.max(streamTime, r.timestamp());
    if (++sinceDrain == DRAIN_EVERY) {
      drainInternalTopics();
    }
  }

  // Each changelog record holds a whole serialized window (sketches, ~10 KB): keep few of them alive.
  private void drainInternalTopics() {
    internalTopics.forEach(TestOutputTopic::readRecordsToList);
    sinceDrain = 0;
  }

  /** Closes every window ending at or before {@code windowEndMillis} and returns what the topology emitted. */
  List<FlagWindowStats> closeWindow(long windowEndMillis) {
    long needed = windowEndMillis + config.windowGrace().toMillis();
    // The aggregator's wall-clock watermark is streamTime + time elapsed since stream time last advanced.
    long elapsedNeeded = streamTime == Long.MIN_VALUE ? 0 : needed - streamTime;
    advanceWallClockTo(wallClock + Math.max(1, elapsedNeeded));
    drainInternalTopics();
    deadLettered += deadLetters.getQueueSize();
    deadLetters.readRecordsToList();
    return windowStats.readRecordsToList().stream().map(TestRecord::value).toList();
  }

  /** Inputs the topology dead-lettered so far; a correct simulation produces none. */
  long deadLettered() {
    return deadLettered;
  }

  private void advanceWallClockTo(long millis) {
    if (millis > wallClock) {
      driver.advanceWallClockTime(Duration.ofMillis(millis - wallClock));
      wallClock = millis;
    }
  }

  @Override
  public void close() {
    try {
      driver.close();
    } finally {
      deleteRecursively(stateDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temporary directory is harmless.
    }
  }
}
