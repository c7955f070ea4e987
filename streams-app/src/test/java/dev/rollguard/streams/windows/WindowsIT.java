package dev.rollguard.streams.windows;

import static dev.rollguard.streams.windows.Events.exposure;
import static dev.rollguard.streams.windows.Events.impression;
import static dev.rollguard.streams.windows.Events.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.config.StreamsAppConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The windows topology on a real broker and registry, exactly-once v2: events in, one {@code FlagWindowStats} per
 * flag and window out, seen once by a read_committed consumer, across a restart that restores the open windows from
 * the changelog.
 */
final class WindowsIT {
  private static final String[] FLAGS = {"checkout", "search", "banner"};
  private static final long WINDOW_MS = 2_000;

  private static EmbeddedKafka kafka;
  private static EmbeddedSchemaRegistry registry;

  @TempDir
  Path stateDir;

  @BeforeAll
  static void startServices() {
    kafka = EmbeddedKafka.start();
    registry = EmbeddedSchemaRegistry.start();
  }

  @AfterAll
  static void stopServices() {
    if (registry != null) {
      registry.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void emitsEachWindowExactlyOnceUnderExactlyOnceAcrossARestart() throws Exception {
    StreamsAppConfig config = StreamsAppConfig.fromMap(Map.of(
            StreamsAppConfig.SCHEMA_REGISTRY_URL, registry.url(),
            StreamsAppConfig.APPLICATION_ID, "windows-it-" + UUID.randomUUID()))
        .withBootstrapServers(kafka.bootstrapServers())
        .withWindows(Duration.ofMillis(WINDOW_MS), Duration.ofSeconds(15), Duration.ofMillis(200))
        .withStateDir(stateDir.toString());
    kafka.createTopics(3, config.impressionsTopic(), config.requestMetricsTopic());
    kafka.createTopics(1, config.windowStatsTopic(), config.deadLetterTopic());
    // The producer has its own registry client, as a separate application would.
    WindowsSerdes producerSerdes = WindowsSerdes.of(SchemaRegistryClients.fromConfig(registry.clientConfig()));

    // Three windows ending now, three flags; half of the events before a restart, half after.
    long base = Math.floorDiv(System.currentTimeMillis(), WINDOW_MS) * WINDOW_MS - 2 * WINDOW_MS;
    Map<String, long[]> expected = new HashMap<>();
    List<ProducerRecord<byte[], byte[]>> first = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> second = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      String flag = FLAGS[i % 3];
      long ts = base + (i * 3 * WINDOW_MS) / 3000;
      boolean enabled = i % 2 == 0;
      String user = "user-" + (i % 400);
      List<ProducerRecord<byte[], byte[]>> phase = i % 2 == 0 ? first : second;
      byte[] imp = producerSerdes.impressions().serializer().serialize(config.impressionsTopic(),
          impression(flag, enabled, enabled ? "fast" : "disabled", user, Instant.ofEpochMilli(ts)));
      byte[] req = producerSerdes.requestMetrics().serializer().serialize(config.requestMetricsTopic(),
          request(user, Instant.ofEpochMilli(ts), 10 + i % 90, exposure(flag, enabled, enabled ? "fast" : "disabled"))
              .setError(i % 10 == 0).build());
      phase.add(new ProducerRecord<>(config.impressionsTopic(), null, ts, null, imp));
      phase.add(new ProducerRecord<>(config.requestMetricsTopic(), null, ts, null, req));
      long[] counts = expected.computeIfAbsent(flag + "@" + Math.floorDiv(ts, WINDOW_MS) * WINDOW_MS,
          k -> new long[2]);
      counts[0]++;
      counts[1] += i % 10 == 0 ? 1 : 0;
    }
    first.add(new ProducerRecord<>(config.impressionsTopic(), "bad".getBytes(StandardCharsets.UTF_8),
        "definitely not avro".getBytes(StandardCharsets.UTF_8)));

    WindowsApp app = WindowsApp.create(config, SchemaRegistryClients.fromConfig(registry.clientConfig()),
        new SimpleMeterRegistry()).start();
    produce(first);
    await().atMost(Duration.ofSeconds(60)).until(() -> app.metrics().observations() >= 3000);
    app.close();
    // Wipe local state: the restarted instance must rebuild the open windows from the changelog.
    deleteRecursively(stateDir);
    assertThat(app.metrics().emitted("stream-time") + app.metrics().emitted("wall-clock"))
        .as("no window closed before the restart").isZero();

    WindowsApp restarted = WindowsApp.create(config, SchemaRegistryClients.fromConfig(registry.clientConfig()),
        new SimpleMeterRegistry()).start();
    try {
      produce(second);
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      try (KafkaConsumer<String, byte[]> consumer = readCommitted()) {
        consumer.subscribe(List.of(config.windowStatsTopic()));
        await().atMost(Duration.ofSeconds(90)).until(() -> {
          consumer.poll(Duration.ofMillis(200)).forEach(out::add);
          return out.size() >= expected.size();
        });
        // Anything more would be a duplicate: keep reading a while.
        long until = System.currentTimeMillis() + 3_000;
        while (System.currentTimeMillis() < until) {
          consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        }
      }
      Map<String, FlagWindowStats> byWindow = new HashMap<>();
      for (ConsumerRecord<String, byte[]> r : out) {
        FlagWindowStats s = producerSerdes.windowStats().deserializer().deserialize(r.topic(), r.value());
        assertThat(r.key()).isEqualTo(s.getEnvironment() + "/" + s.getFlag());
        assertThat(byWindow.put(s.getFlag() + "@" + s.getWindowStart().toEpochMilli(), s))
            .as("duplicate window %s", s.getFlag() + "@" + s.getWindowStart()).isNull();
      }
      assertThat(byWindow.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      expected.forEach((window, counts) -> {
        Map<String, VariantStats> v = byWindow.get(window).getVariants();
        long requests = v.values().stream().mapToLong(VariantStats::getRequests).sum();
        long impressions = v.values().stream().mapToLong(VariantStats::getImpressions).sum();
        long errors = v.values().stream().mapToLong(VariantStats::getErrors).sum();
        assertThat(requests).as("requests in %s", window).isEqualTo(counts[0]);
        assertThat(impressions).as("impressions in %s", window).isEqualTo(counts[0]);
        assertThat(errors).as("errors in %s", window).isEqualTo(counts[1]);
      });

      try (KafkaConsumer<String, byte[]> consumer = readCommitted()) {
        consumer.subscribe(List.of(config.deadLetterTopic()));
        List<DeadLetter> dead = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          consumer.poll(Duration.ofMillis(200))
              .forEach(r -> dead.add(producerSerdes.deadLetters().deserializer().deserialize(r.topic(), r.value())));
          return !dead.isEmpty();
        });
        assertThat(dead).singleElement().satisfies(d -> {
          assertThat(d.getCategory()).isEqualTo("deserialization");
          assertThat(d.getReason()).startsWith("malformed: unknown magic byte");
        });
      }
    } finally {
      restarted.close();
    }
  }

  /**
   * A closed window does not wait for the commit interval: the intake commits when its events pass a window's close
   * time, and the aggregator when it emits. With a 60 s commit interval, the first window is read_committed within
   * 20 s of the event that passes its close time (its end plus 500 ms grace), the whole 60 s later without the
   * commit requests.
   */
  @Test
  void aClosedWindowIsCommittedAtOnceNotAtTheNextCommitInterval() throws Exception {
    String prefix = "prompt-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    StreamsAppConfig config = StreamsAppConfig.fromMap(Map.of(
            StreamsAppConfig.SCHEMA_REGISTRY_URL, registry.url(),
            StreamsAppConfig.APPLICATION_ID, prefix + "windows",
            StreamsAppConfig.TOPIC_IMPRESSIONS, prefix + "impressions",
            StreamsAppConfig.TOPIC_REQUEST_METRICS, prefix + "requests",
            StreamsAppConfig.TOPIC_WINDOW_STATS, prefix + "window-stats",
            StreamsAppConfig.TOPIC_DLQ, prefix + "dlq"))
        .withBootstrapServers(kafka.bootstrapServers())
        .withWindows(Duration.ofMillis(WINDOW_MS), Duration.ofMillis(500), Duration.ofMillis(200))
        .withKafka(Map.of("commit.interval.ms", "60000", "producer.transaction.timeout.ms", "120000"))
        .withStateDir(stateDir.toString());
    kafka.createTopics(1, config.impressionsTopic(), config.requestMetricsTopic(), config.windowStatsTopic(),
        config.deadLetterTopic());
    WindowsSerdes producerSerdes = WindowsSerdes.of(SchemaRegistryClients.fromConfig(registry.clientConfig()));

    try (WindowsApp app = WindowsApp.create(config, SchemaRegistryClients.fromConfig(registry.clientConfig()),
            new SimpleMeterRegistry()).start();
        KafkaConsumer<String, byte[]> consumer = readCommitted()) {
      consumer.subscribe(List.of(config.windowStatsTopic()));
      // One window's events, at event times inside it, then one event past its close time.
      long start = Math.floorDiv(System.currentTimeMillis(), WINDOW_MS) * WINDOW_MS + WINDOW_MS;
      List<ProducerRecord<byte[], byte[]>> events = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        long ts = start + i * (WINDOW_MS / 100);
        events.add(new ProducerRecord<>(config.impressionsTopic(), null, ts, null,
            producerSerdes.impressions().serializer().serialize(config.impressionsTopic(),
                impression("checkout", i % 2 == 0, "disabled", "user-" + i, Instant.ofEpochMilli(ts)))));
      }
      produce(events);
      long closing = start + WINDOW_MS + 500;
      produce(List.of(new ProducerRecord<>(config.impressionsTopic(), null, closing, null,
          producerSerdes.impressions().serializer().serialize(config.impressionsTopic(),
              impression("checkout", true, "disabled", "late-comer", Instant.ofEpochMilli(closing))))));

      List<FlagWindowStats> out = new ArrayList<>();
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(r ->
            out.add(producerSerdes.windowStats().deserializer().deserialize(r.topic(), r.value())));
        return !out.isEmpty();
      });
      assertThat(out).first().satisfies(w -> {
        assertThat(w.getWindowStart().toEpochMilli()).isEqualTo(start);
        assertThat(w.getVariants().values().stream().mapToLong(VariantStats::getImpressions).sum()).isEqualTo(100);
      });
    }
  }

  private static void produce(List<ProducerRecord<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 5), new ByteArraySerializer(), new ByteArraySerializer())) {
      records.forEach(producer::send);
      producer.flush();
    }
  }

  private static KafkaConsumer<String, byte[]> readCommitted() {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new ByteArrayDeserializer());
  }

  private static void deleteRecursively(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
    }
  }
}
