package dev.rollguard.streams.decisions.bench;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.config.StreamsAppConfig;
import dev.rollguard.streams.decisions.DecisionSerdes;
import dev.rollguard.streams.decisions.DecisionStage;
import dev.rollguard.streams.decisions.DecisionStageConfig;
import dev.rollguard.streams.windows.WindowsApp;
import dev.rollguard.streams.windows.WindowsSerdes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Not a test. End to end, on the embedded broker: how long after a window closes its decision is visible to a
 * read_committed consumer, with both stages at their defaults (windows stage: exactly-once v2, commit interval 1 s;
 * decision stage: advisor off). Traffic is live: events are stamped with the wall clock, so a window
 * {@code [start, end)} closes at wall-clock time {@code end + grace}, when the first event past it is read; latency is
 * the decision's arrival minus that time.
 *
 * <pre>mvn -B -o -q -pl streams-app test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.rollguard.streams.decisions.bench.EndToEndLatencyBenchmark [-Dexec.args="30 10 2000"]</pre>
 * Arguments: windows to measure (after 2 of warm-up), flags, events per second.
 */
public final class EndToEndLatencyBenchmark {
  private static final String ENV = "production";
  private static final Duration WINDOW = Duration.ofSeconds(5);
  private static final Duration GRACE = Duration.ofSeconds(1);

  private EndToEndLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int windows = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int flags = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    Path tmp = Files.createTempDirectory("rollguard-e2e");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedSchemaRegistry sr = EmbeddedSchemaRegistry.start()) {
      run(kafka, sr, tmp, windows, flags, rate);
    }
    System.exit(0);
  }

  private static void run(EmbeddedKafka kafka, EmbeddedSchemaRegistry sr, Path tmp, int windows, int flags, int rate)
      throws Exception {
    StreamsAppConfig wc = StreamsAppConfig.fromMap(Map.of(StreamsAppConfig.SCHEMA_REGISTRY_URL, sr.url(),
            StreamsAppConfig.APPLICATION_ID, "e2e-windows"))
        .withBootstrapServers(kafka.bootstrapServers())
        .withWindows(WINDOW, GRACE, Duration.ofSeconds(1))
        .withStateDir(tmp.resolve("windows").toString());
    DecisionStageConfig dc = DecisionStageConfig.fromMap(Map.of(
        DecisionStageConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
        DecisionStageConfig.SCHEMA_REGISTRY_URL, sr.url(),
        DecisionStageConfig.APPLICATION_ID, "e2e-decisions",
        DecisionStageConfig.STATE_DIR, tmp.resolve("decisions").toString()));
    kafka.createTopics(2, wc.impressionsTopic(), wc.requestMetricsTopic(), wc.windowStatsTopic(), wc.deadLetterTopic(),
        dc.decisionsTopic());
    kafka.createTopics(1, Map.of("cleanup.policy", "compact"), dc.flagStateTopic());
    SchemaRegistryClient registry = SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", sr.url()));
    WindowsSerdes events = WindowsSerdes.of(registry);
    DecisionSerdes decisionSerdes = DecisionSerdes.of(registry);

    Map<String, Long> seenAt = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread reader = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "e2e-r",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
          new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(dc.decisionsTopic()));
        while (running.get()) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(5))) {
            RolloutDecision d = decisionSerdes.decisions().deserializer().deserialize(r.topic(), r.value());
            seenAt.putIfAbsent(d.getFlag() + "@" + d.getWindowEnd().toEpochMilli(), System.currentTimeMillis());
          }
        }
      }
    }, "e2e-reader");
    reader.start();

    long sizeMs = WINDOW.toMillis();
    try (WindowsApp windowsApp = WindowsApp.create(wc, registry, new SimpleMeterRegistry()).start();
         DecisionStage stage = DecisionStage.create(dc, registry, null, new SimpleMeterRegistry(),
             Clock.systemUTC()).start();
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5),
             new ByteArraySerializer(), new ByteArraySerializer())) {
      // Live traffic from the next window on, for warm-up + measured windows + one more so the last one closes.
      long first = Math.floorDiv(System.currentTimeMillis(), sizeMs) * sizeMs + sizeMs;
      int warmup = 2;
      long stop = first + (warmup + windows + 1) * sizeMs + GRACE.toMillis();
      SplittableRandom random = new SplittableRandom(7);
      long sent = 0;
      long startNanos = System.nanoTime();
      long startMs = System.currentTimeMillis();
      while (System.currentTimeMillis() < stop) {
        long due = startNanos + sent * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        long now = Math.max(System.currentTimeMillis(), startMs);
        if (now < first) {
          sent++;
          continue;
        }
        String flag = "flag-" + random.nextInt(flags);
        String user = "user-" + random.nextInt(20_000);
        boolean treatment = Math.floorMod(user.hashCode(), 2) == 0;
        Instant at = Instant.ofEpochMilli(now);
        FlagImpression imp = FlagImpression.newBuilder().setEventId("i" + sent).setTimestamp(at).setAppName("e2e")
            .setEnvironment(ENV).setFeatureName(flag).setEnabled(treatment).setVariant("disabled").setUserId(user)
            .build();
        RequestMetric req = RequestMetric.newBuilder().setEventId("r" + sent).setTimestamp(at).setAppName("e2e")
            .setEnvironment(ENV).setUserId(user).setExposures(List.of(new Exposure(flag, treatment, "disabled")))
            .setLatencyMs(50 + random.nextDouble() * 100).setStatusCode(200).setError(random.nextDouble() < 0.01)
            .build();
        producer.send(new ProducerRecord<>(wc.impressionsTopic(), null, now, user.getBytes(),
            events.impressions().serializer().serialize(wc.impressionsTopic(), imp)));
        producer.send(new ProducerRecord<>(wc.requestMetricsTopic(), null, now, user.getBytes(),
            events.requestMetrics().serializer().serialize(wc.requestMetricsTopic(), req)));
        sent++;
      }
      producer.flush();
      long deadline = System.currentTimeMillis() + 15_000;
      List<Long> latencies = new ArrayList<>();
      int missing = 0;
      while (System.currentTimeMillis() < deadline) {
        latencies.clear();
        missing = 0;
        for (int w = warmup; w < warmup + windows; w++) {
          long end = first + (w + 1) * sizeMs;
          for (int f = 0; f < flags; f++) {
            Long seen = seenAt.get("flag-" + f + "@" + end);
            if (seen == null) {
              missing++;
            } else {
              latencies.add(seen - (end + GRACE.toMillis()));
            }
          }
        }
        if (missing == 0) {
          break;
        }
        Thread.sleep(200);
      }
      latencies.sort(Long::compare);
      System.out.printf(Locale.ROOT, "E2E window close (end + grace, wall clock) -> decision visible (read_committed), "
              + "windows %d s, grace %d s, %d flags, %d events/s, defaults otherwise: n=%d (missing %d), p50=%d ms, "
              + "p99=%d ms, max=%d ms, min=%d ms%n", sizeMs / 1000, GRACE.toSeconds(), flags, rate, latencies.size(),
          missing, pct(latencies, 0.50), pct(latencies, 0.99), latencies.get(latencies.size() - 1), latencies.get(0));
    } finally {
      running.set(false);
      reader.join();
    }
  }

  private static long pct(List<Long> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }
}
