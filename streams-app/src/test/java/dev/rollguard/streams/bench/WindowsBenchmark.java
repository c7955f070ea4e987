package dev.rollguard.streams.bench;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.config.StreamsAppConfig;
import dev.rollguard.streams.windows.DeadLetterReason;
import dev.rollguard.streams.windows.RepartitionRecordSerde;
import dev.rollguard.streams.windows.SourceWatermark;
import dev.rollguard.streams.windows.WindowAggregate;
import dev.rollguard.streams.windows.WindowAggregateSerde;
import dev.rollguard.streams.windows.WindowsApp;
import dev.rollguard.streams.windows.WindowsSerdes;
import dev.rollguard.streams.windows.WindowsTopology;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Benchmark, not a test: the windows topology (EOS v2) against a raw consume→produce pipe, on one embedded broker,
 * over the same pre-loaded input. Prints both rates, their ratio and the state size per flag-variant-window.
 *
 * <p>Run: {@code mvn -B -o -q -pl streams-app test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.rollguard.streams.bench.WindowsBenchmark [-Dbench.records=2000000] [-Dbench.threads=1]}
 */
public final class WindowsBenchmark {
  private static final int RECORDS = Integer.getInteger("bench.records", 2_000_000);
  private static final int PARTITIONS = Integer.getInteger("bench.partitions", 4);
  private static final int THREADS = Integer.getInteger("bench.threads", 1);
  private static final int FLAGS = Integer.getInteger("bench.flags", 20);
  /** Extra Kafka Streams properties for tuning runs, {@code key=value,key=value} (e.g. {@code commit.interval.ms=1000}). */
  private static final String STREAMS_OVERRIDES = System.getProperty("bench.streams", "");
  /** Window grace ({@code -Dbench.grace=5s}; default the topology's 30 s): a small grace makes catch-up skew show. */
  private static final String GRACE = System.getProperty("bench.grace", "");
  private static final int USERS = 200_000;
  /**
   * Event time covered by the load: 5,000 events per second of event time, a mid-sized production service. Denser
   * or sparser changes how much event time one consumer fetch spans, and so how far apart the intake tasks run.
   */
  private static final Duration EVENT_SPAN = Duration.ofMillis(RECORDS / 5L);

  private WindowsBenchmark() {}

  public static void main(String[] args) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start()) {
      StreamsAppConfig config = StreamsAppConfig.fromMap(Map.of(
              StreamsAppConfig.SCHEMA_REGISTRY_URL, registry.url(),
              StreamsAppConfig.APPLICATION_ID, "windows-bench-" + UUID.randomUUID()))
          .withBootstrapServers(kafka.bootstrapServers())
          .withStateDir(Files.createTempDirectory("rollguard-bench-state").toString())
          .withKafka(streamsSettings());
      if (!GRACE.isBlank()) {
        config = config.withWindows(config.windowSize(), Duration.parse("PT" + GRACE.toUpperCase()),
            config.closeCheckInterval());
      }
      kafka.createTopics(PARTITIONS, config.impressionsTopic(), config.requestMetricsTopic(), "bench.raw-out");
      kafka.createTopics(PARTITIONS, config.windowStatsTopic(), config.deadLetterTopic());
      System.out.printf("load: %,d records (impressions + request metrics), %d flags, %d partitions, %d stream thread(s)%n",
          RECORDS, FLAGS, PARTITIONS, THREADS);
      System.out.println("streams settings: " + streamsSettings() + ", window grace " + config.windowGrace());
      long bytes = load(kafka, config, WindowsSerdes.of(SchemaRegistryClients.fromConfig(registry.clientConfig())));
      System.out.printf("loaded %,d bytes (%.0f B/record)%n", bytes, (double) bytes / RECORDS);

      Map<String, Long> cpu = ThreadCpu.snapshot();
      double raw = rawPipe(kafka, config);
      System.out.printf("raw consume→produce pipe: %,.0f records/s%n", raw);
      System.out.println("  CPU per record (µs, by thread group): " + ThreadCpu.perRecord(cpu, RECORDS));
      Result topo = topology(kafka, config, registry);
      System.out.printf("windows topology (EOS v2): %,.0f records/s%n", topo.rate);
      System.out.println("  CPU per record (µs, by thread group): " + topo.cpuPerRecord);
      System.out.printf("ratio topology / raw: %.2f%n", topo.rate / raw);
      System.out.printf("window stats emitted: %d, dead letters: %d (late %d)%n", topo.windowsEmitted,
          topo.deadLetters, topo.late);
      stateSize(kafka, config);
      repartitionTraffic(kafka, config, topo.observations);
      if (topo.late > 0) {
        lateness(kafka, config, WindowsSerdes.of(SchemaRegistryClients.fromConfig(registry.clientConfig())));
      }
    }
  }

  /** CPU time of this JVM's threads, grouped (broker, stream threads, clients, main), to see where a phase spends. */
  private static final class ThreadCpu {
    private static final java.lang.management.ThreadMXBean BEAN = java.lang.management.ManagementFactory.getThreadMXBean();

    static Map<String, Long> snapshot() {
      Map<String, Long> byThread = new HashMap<>();
      for (var info : BEAN.getThreadInfo(BEAN.getAllThreadIds())) {
        if (info != null) {
          long t = BEAN.getThreadCpuTime(info.getThreadId());
          if (t > 0) {
            byThread.put(info.getThreadId() + "|" + info.getThreadName(), t);
          }
        }
      }
      return byThread;
    }

    static Map<String, String> perRecord(Map<String, Long> before, long records) {
      Map<String, Long> groups = new java.util.TreeMap<>();
      snapshot().forEach((thread, t) -> groups.merge(group(thread.substring(thread.indexOf('|') + 1)),
          t - before.getOrDefault(thread, 0L), Long::sum));
      Map<String, String> out = new java.util.LinkedHashMap<>();
      long total = 0;
      for (var e : groups.entrySet()) {
        total += e.getValue();
        if (e.getValue() > records * 50L) {
          out.put(e.getKey(), String.format("%.2f", e.getValue() / 1e3 / records));
        }
      }
      out.put("total", String.format("%.2f", total / 1e3 / records));
      return out;
    }

    private static String group(String name) {
      if (name.contains("StreamThread")) {
        return "stream-threads";
      }
      if (name.contains("producer-network-thread")) {
        return "producer-io";
      }
      if (name.contains("kafka-request-handler") || name.contains("network-thread") || name.startsWith("kafka-")
          || name.contains("raft") || name.contains("Log") || name.contains("Replica") || name.contains("quorum")) {
        return "broker";
      }
      if (name.contains("WindowsBenchmark.main") || name.equals("main")) {
        return "main";
      }
      return "other";
    }
  }

  private static Map<String, String> streamsSettings() {
    Map<String, String> settings = new java.util.LinkedHashMap<>(Map.of(
        "num.stream.threads", String.valueOf(THREADS),
        "producer.batch.size", "262144",
        "producer.linger.ms", "20",
        "consumer.max.poll.records", "5000",
        "consumer.fetch.max.bytes", "52428800"));
    for (String kv : STREAMS_OVERRIDES.split(",")) {
      if (!kv.isBlank()) {
        settings.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
      }
    }
    return settings;
  }

  private static long load(EmbeddedKafka kafka, StreamsAppConfig config, WindowsSerdes serdes) {
    Random random = new Random(7);
    long end = System.currentTimeMillis();
    long start = end - EVENT_SPAN.toMillis();
    long bytes = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.BATCH_SIZE_CONFIG, 262144,
        ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        Instant ts = Instant.ofEpochMilli(start + (long) i * EVENT_SPAN.toMillis() / RECORDS);
        String user = "user-" + random.nextInt(USERS);
        byte[] value;
        String topic;
        if (i % 2 == 0) {
          String flag = flag(random);
          boolean on = treated(flag, user);
          topic = config.impressionsTopic();
          value = serdes.impressions().serializer().serialize(topic, FlagImpression.newBuilder()
              .setEventId(UUID.randomUUID().toString()).setTimestamp(ts).setAppName("shop").setEnvironment("production")
              .setFeatureName(flag).setEnabled(on).setVariant(on ? "treatment" : "disabled").setUserId(user)
              .setSessionId("session-" + user).setContext(Map.of("country", "DE", "plan", "pro")).build());
        } else {
          int n = 1 + random.nextInt(3);
          List<Exposure> exposures = new ArrayList<>(n);
          for (int e = 0; e < n; e++) {
            String flag = flag(random);
            boolean on = treated(flag, user);
            exposures.add(Exposure.newBuilder().setFeatureName(flag).setEnabled(on)
                .setVariant(on ? "treatment" : "disabled").build());
          }
          boolean error = random.nextDouble() < 0.01;
          topic = config.requestMetricsTopic();
          value = serdes.requestMetrics().serializer().serialize(topic, RequestMetric.newBuilder()
              .setEventId(UUID.randomUUID().toString()).setTimestamp(ts).setAppName("shop").setEnvironment("production")
              .setUserId(user).setSessionId("session-" + user).setRoute("/checkout/{id}").setExposures(exposures)
              .setLatencyMs(Math.exp(Math.log(120) + 0.6 * random.nextGaussian()))
              .setStatusCode(error ? 503 : 200).setError(error).setConverted(random.nextDouble() < 0.03)
              .setGoal(null).build());
        }
        bytes += value.length;
        producer.send(new ProducerRecord<>(topic, null, ts.toEpochMilli(), null, value));
      }
      producer.flush();
    }
    return bytes;
  }

  private static String flag(Random random) {
    return "flag-" + random.nextInt(FLAGS);
  }

  private static boolean treated(String flag, String user) {
    return Math.floorMod((flag + user).hashCode(), 100) < 20;
  }

  /** Reads both input topics from the start and copies every record to another topic, at-least-once. */
  private static double rawPipe(EmbeddedKafka kafka, StreamsAppConfig config) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "raw-pipe-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
            ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 52428800), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ProducerConfig.BATCH_SIZE_CONFIG, 262144,
            ProducerConfig.LINGER_MS_CONFIG, 20), new ByteArraySerializer(), new ByteArraySerializer())) {
      consumer.subscribe(List.of(config.impressionsTopic(), config.requestMetricsTopic()));
      long copied = 0;
      long first = 0;
      while (copied < RECORDS) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        if (!records.isEmpty() && first == 0) {
          first = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          producer.send(new ProducerRecord<>("bench.raw-out", r.key(), r.value()));
        }
        copied += records.count();
        consumer.commitAsync();
      }
      producer.flush();
      return copied / ((System.nanoTime() - first) / 1e9);
    }
  }

  private record Result(double rate, long windowsEmitted, long deadLetters, long late, long observations,
      Map<String, String> cpuPerRecord) {}

  /** Runs the topology until its group has committed every input and repartition record. */
  private static Result topology(EmbeddedKafka kafka, StreamsAppConfig config, EmbeddedSchemaRegistry registry)
      throws Exception {
    WindowsApp app = WindowsApp.create(config, SchemaRegistryClients.fromConfig(registry.clientConfig()),
        new SimpleMeterRegistry());
    try (Admin admin = kafka.admin()) {
      String repartition = config.applicationId() + "-" + WindowsTopology.REPARTITION + "-repartition";
      Map<String, Long> cpu = ThreadCpu.snapshot();
      app.start();
      long first = 0;
      long inputDone = 0;
      long lastLog = System.nanoTime();
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.applicationId())
            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        long input = 0;
        for (var e : committed.entrySet()) {
          if (!e.getKey().topic().equals(repartition) && e.getValue() != null) {
            input += e.getValue().offset();
          }
        }
        if (input > 0 && first == 0) {
          first = System.nanoTime();
        }
        if (input >= RECORDS && inputDone == 0) {
          inputDone = System.nanoTime();
        }
        if (inputDone != 0 && repartitionDone(admin, committed, repartition)) {
          break;
        }
        if (System.nanoTime() - lastLog > 5e9) {
          System.out.printf("  topology progress: %,d / %,d input records committed%n", input, RECORDS);
          lastLog = System.nanoTime();
        }
        Thread.sleep(50);
      }
      Map<String, String> cpuPerRecord = ThreadCpu.perRecord(cpu, RECORDS);
      double seconds = (System.nanoTime() - first) / 1e9;
      System.out.printf("  input committed after %.1f s, repartition drained after %.1f s%n",
          (inputDone - first) / 1e9, seconds);
      long late = app.metrics().deadLetters(DeadLetterReason.LATE);
      long dead = 0;
      for (DeadLetterReason r : DeadLetterReason.values()) {
        dead += app.metrics().deadLetters(r);
      }
      long emitted = app.metrics().emitted("stream-time") + app.metrics().emitted("wall-clock");
      return new Result(RECORDS / seconds, emitted, dead, late, app.metrics().observations(), cpuPerRecord);
    } finally {
      app.close();
    }
  }

  private static boolean repartitionDone(Admin admin, Map<TopicPartition, OffsetAndMetadata> committed,
      String repartition) throws Exception {
    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      ends.put(new TopicPartition(repartition, p), OffsetSpec.latest());
    }
    ListOffsetsResult result = admin.listOffsets(ends);
    for (TopicPartition tp : ends.keySet()) {
      long end = result.partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
      OffsetAndMetadata c = committed.get(tp);
      // Under EOS the end offset includes the commit marker; the committed offset can stop one short of it.
      if (end > 0 && (c == null || c.offset() < end - 1)) {
        return false;
      }
    }
    return true;
  }

  /** How late the late records were: a histogram of "closed N s ago" from the dead letters. */
  private static void lateness(EmbeddedKafka kafka, StreamsAppConfig config, WindowsSerdes serdes) {
    java.util.TreeMap<Long, Long> histogram = new java.util.TreeMap<>();
    java.util.regex.Pattern ago = java.util.regex.Pattern.compile("closed (\\d+) s ago");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "lateness-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(Set.of(config.deadLetterTopic()));
      long idleSince = System.nanoTime();
      while (System.nanoTime() - idleSince < 3e9) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(300));
        if (!records.isEmpty()) {
          idleSince = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          var m = ago.matcher(serdes.deadLetters().deserializer().deserialize(r.topic(), r.value()).getReason());
          if (m.find()) {
            histogram.merge(Long.parseLong(m.group(1)) / 10 * 10, 1L, Long::sum);
          }
        }
      }
    }
    System.out.println("late records by seconds after close (10 s buckets): " + histogram);
  }

  /** Counts the committed records of the repartition topic: partial windows, against the observations they carry. */
  private static void repartitionTraffic(EmbeddedKafka kafka, StreamsAppConfig config, long observations) {
    String repartition = config.applicationId() + "-" + WindowsTopology.REPARTITION + "-repartition";
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "repartition-count-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(Set.of(repartition));
      long records = 0;
      long watermarks = 0;
      long bytes = 0;
      long idleSince = System.nanoTime();
      while (System.nanoTime() - idleSince < 3e9) {
        ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(300));
        if (!polled.isEmpty()) {
          idleSince = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : polled) {
          if (new RepartitionRecordSerde().deserialize(r.value()) instanceof SourceWatermark) {
            watermarks++;
          } else {
            records++;
            bytes += r.value().length;
          }
        }
      }
      System.out.printf("repartition: %,d partial windows (%,d B, %,.0f B each) for %,d observations (%.0f per record)"
              + ", and %,d source watermarks%n", records, bytes, (double) bytes / Math.max(1, records), observations,
          (double) observations / Math.max(1, records), watermarks);
    }
  }

  /** Reads the store's changelog: the last (largest) state of every window, divided by its variants. */
  private static void stateSize(EmbeddedKafka kafka, StreamsAppConfig config) {
    String changelog = config.applicationId() + "-" + WindowsTopology.STORE + "-changelog";
    Map<String, byte[]> latest = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "state-size-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(Set.of(changelog));
      long idleSince = System.nanoTime();
      long writes = 0;
      while (System.nanoTime() - idleSince < 3e9) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(300));
        if (!records.isEmpty()) {
          idleSince = System.nanoTime();
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (r.key().length > 8 && r.value() != null) {
            writes++;
            latest.merge(new String(r.key(), java.nio.charset.StandardCharsets.ISO_8859_1), r.value(),
                (a, b) -> b.length >= a.length ? b : a);
          }
        }
      }
      WindowAggregateSerde serde = new WindowAggregateSerde();
      long totalBytes = 0;
      long variants = 0;
      long maxPerVariant = 0;
      for (byte[] v : latest.values()) {
        WindowAggregate a = serde.deserialize(v);
        totalBytes += v.length;
        variants += a.variants().size();
        maxPerVariant = Math.max(maxPerVariant, v.length / Math.max(1, a.variants().size()));
      }
      System.out.printf("state: %d flag-windows, %d flag-variant-windows, %,.0f B per flag-variant-window on average"
              + " (max %,d B), %,d changelog writes in total%n", latest.size(), variants,
          (double) totalBytes / Math.max(1, variants), maxPerVariant, writes);
    }
  }
}
