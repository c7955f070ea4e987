package dev.rollguard.streams.decisions.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.advisor.AdvisorConfig;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.Sketches;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.config.StreamsAppConfig;
import dev.rollguard.streams.decisions.DecisionSerdes;
import dev.rollguard.streams.decisions.DecisionStage;
import dev.rollguard.streams.decisions.DecisionStageConfig;
import dev.rollguard.streams.windows.WindowsMetrics;
import dev.rollguard.streams.windows.WindowsSerdes;
import dev.rollguard.streams.windows.WindowsTopology;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.datasketches.hll.HllSketch;

/**
 * Not a test. (1) How long a decision takes to become visible to a read_committed consumer after its window's
 * statistics are published (the window close), advisor off: p50 and p99. (2) The windows stage's aggregation
 * throughput while the decision stage runs next to it with an advisor that answers in 30 s, against no advisor,
 * alternating in the same run.
 *
 * <pre>mvn -B -o -q -pl streams-app test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.rollguard.streams.decisions.bench.DecisionBenchmark [-Dexec.args="200 300000"]</pre>
 */
public final class DecisionBenchmark {
  private static final String ENV = "production";

  private DecisionBenchmark() {}

  public static void main(String[] args) throws Exception {
    int latencyWindows = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    Path tmp = Files.createTempDirectory("rollguard-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedSchemaRegistry sr = EmbeddedSchemaRegistry.start()) {
      SchemaRegistryClient registry = SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", sr.url()));
      latency(kafka, sr, registry, tmp, latencyWindows);
      throughput(kafka, sr, registry, tmp, events);
    }
    System.exit(0);
  }

  // ------------------------------------------------------------------------------------------------ latency

  private static void latency(EmbeddedKafka kafka, EmbeddedSchemaRegistry sr, SchemaRegistryClient registry, Path tmp,
                              int n) throws Exception {
    kafka.createTopics(1, "lat.window-stats", "lat.decisions", "lat.dlq", "lat.flag-state");
    DecisionStageConfig config = DecisionStageConfig.fromMap(Map.of(
        DecisionStageConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
        DecisionStageConfig.SCHEMA_REGISTRY_URL, sr.url(),
        DecisionStageConfig.APPLICATION_ID, "bench-latency",
        DecisionStageConfig.TOPIC_WINDOW_STATS, "lat.window-stats",
        DecisionStageConfig.TOPIC_DECISIONS, "lat.decisions",
        DecisionStageConfig.TOPIC_FLAG_STATE, "lat.flag-state",
        DecisionStageConfig.TOPIC_DLQ, "lat.dlq",
        DecisionStageConfig.STATE_DIR, tmp.resolve("lat").toString()));
    DecisionSerdes serdes = DecisionSerdes.of(registry);
    int warmup = 20;
    List<FlagWindowStats> windows = new ArrayList<>();
    for (int i = 0; i < n + warmup; i++) {
      windows.add(window("flag-" + (i % 10), i / 10, 10));
    }
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    Map<String, Long> seenAt = new ConcurrentHashMap<>();
    AtomicBoolean reading = new AtomicBoolean(true);
    Thread reader = new Thread(() -> {
      try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "lat-r",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
          new StringDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of("lat.decisions"));
        while (reading.get()) {
          for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(5))) {
            var d = serdes.decisions().deserializer().deserialize("lat.decisions", r.value());
            seenAt.putIfAbsent(d.getFlag() + "@" + d.getWindowEnd().toEpochMilli(), System.nanoTime());
          }
        }
      }
    }, "latency-reader");
    reader.start();
    try (DecisionStage stage = DecisionStage.create(config, registry, null, new SimpleMeterRegistry(),
        Clock.systemUTC()).start();
         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 0),
             new StringSerializer(), new ByteArraySerializer())) {
      waitRunning(stage.streams());
      for (FlagWindowStats w : windows) {
        byte[] bytes = serdes.windowStats().serializer().serialize("lat.window-stats", w);
        String id = w.getFlag() + "@" + w.getWindowEnd().toEpochMilli();
        sentAt.put(id, System.nanoTime());
        producer.send(new ProducerRecord<>("lat.window-stats", ENV + "/" + w.getFlag(), bytes)).get();
        Thread.sleep(50);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (seenAt.size() < windows.size() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
    } finally {
      reading.set(false);
      reader.join();
    }
    List<Long> lat = new ArrayList<>();
    for (int i = warmup; i < windows.size(); i++) {
      FlagWindowStats w = windows.get(i);
      String id = w.getFlag() + "@" + w.getWindowEnd().toEpochMilli();
      Long seen = seenAt.get(id);
      if (seen != null) {
        lat.add(TimeUnit.NANOSECONDS.toMicros(seen - sentAt.get(id)));
      }
    }
    lat.sort(Long::compare);
    System.out.printf(Locale.ROOT, "LATENCY window stats published -> decision visible (read_committed), advisor off, "
            + "commit.interval.ms=100 (EOS default): n=%d of %d, p50=%.1f ms, p99=%.1f ms, max=%.1f ms%n",
        lat.size(), n, pct(lat, 0.50) / 1000.0, pct(lat, 0.99) / 1000.0, lat.get(lat.size() - 1) / 1000.0);
  }

  private static long pct(List<Long> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }

  // ------------------------------------------------------------------------------------------------ throughput

  private static void throughput(EmbeddedKafka kafka, EmbeddedSchemaRegistry sr, SchemaRegistryClient registry,
                                 Path tmp, int events) throws Exception {
    kafka.createTopics(2, "tp.request-metrics", "tp.impressions", "tp.dlq", "tp.flag-state");
    WindowsSerdes windowsSerdes = WindowsSerdes.of(registry);
    produceRequests(kafka, windowsSerdes, events);
    try (MockWebServer llm = new MockWebServer()) {
      llm.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
              .body("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\","
                  + "\"content\":\"{\\\"action\\\":\\\"HOLD\\\",\\\"percent\\\":10,\\\"confidence\\\":0.5,"
                  + "\\\"explanation\\\":\\\"slow\\\"}\"}}]}")
              .bodyDelay(30, TimeUnit.SECONDS).build();
        }
      });
      llm.start();
      // Run 0 warms the JIT and the broker up and is not counted.
      String[] runs = {"warmup", "none", "slow", "none", "slow", "none", "slow"};
      Map<String, List<Double>> rates = new TreeMap<>();
      for (int r = 0; r < runs.length; r++) {
        double rate = oneRun(kafka, sr, registry, tmp, events, r, runs[r].equals("slow") ? llm : null);
        if (r > 0) {
          rates.computeIfAbsent(runs[r], k -> new ArrayList<>()).add(rate);
        }
        System.out.printf(Locale.ROOT, "THROUGHPUT run %d advisor=%s: %.0f inputs/s%n", r, runs[r], rate);
      }
      double none = rates.get("none").stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      double slow = rates.get("slow").stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      System.out.printf(Locale.ROOT, "THROUGHPUT windows stage, %d request metrics: no advisor %.0f/s, 30 s advisor "
          + "%.0f/s, change %+.1f%%%n", events, none, slow, 100 * (slow - none) / none);
    }
  }

  private static double oneRun(EmbeddedKafka kafka, EmbeddedSchemaRegistry sr, SchemaRegistryClient registry,
                               Path tmp, int events, int run, MockWebServer slowLlm) throws Exception {
    String windowStats = "tp.window-stats-" + run;
    String decisions = "tp.decisions-" + run;
    kafka.createTopics(2, windowStats, decisions);
    Map<String, String> w = new HashMap<>();
    w.put(StreamsAppConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    w.put(StreamsAppConfig.SCHEMA_REGISTRY_URL, sr.url());
    w.put(StreamsAppConfig.APPLICATION_ID, "bench-windows-" + run);
    w.put(StreamsAppConfig.TOPIC_IMPRESSIONS, "tp.impressions");
    w.put(StreamsAppConfig.TOPIC_REQUEST_METRICS, "tp.request-metrics");
    w.put(StreamsAppConfig.TOPIC_WINDOW_STATS, windowStats);
    w.put(StreamsAppConfig.TOPIC_DLQ, "tp.dlq");
    w.put(StreamsAppConfig.WINDOW_SIZE, "PT5S");
    w.put(StreamsAppConfig.WINDOW_GRACE, "PT1S");
    w.put(StreamsAppConfig.STATE_DIR, tmp.resolve("w" + run).toString());
    w.put(StreamsAppConfig.VALIDATION_MAX_FUTURE_SKEW, "PT1H");
    StreamsAppConfig wc = StreamsAppConfig.fromMap(w);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    WindowsMetrics wm = new WindowsMetrics(meters);
    WindowsSerdes ws = WindowsSerdes.of(registry);

    Map<String, String> d = new HashMap<>();
    d.put(DecisionStageConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    d.put(DecisionStageConfig.SCHEMA_REGISTRY_URL, sr.url());
    d.put(DecisionStageConfig.APPLICATION_ID, "bench-decisions-" + run);
    d.put(DecisionStageConfig.TOPIC_WINDOW_STATS, windowStats);
    d.put(DecisionStageConfig.TOPIC_DECISIONS, decisions);
    d.put(DecisionStageConfig.TOPIC_FLAG_STATE, "tp.flag-state");
    d.put(DecisionStageConfig.TOPIC_DLQ, "tp.dlq");
    d.put(DecisionStageConfig.STATE_DIR, tmp.resolve("d" + run).toString());
    d.put(DecisionStageConfig.ADVISOR_CALL_TIMEOUT, "PT35S"); // the 30 s answers are waited for
    DecisionStageConfig dc = DecisionStageConfig.fromMap(d);
    LocalAiAdvisor advisor = slowLlm == null ? null : new LocalAiAdvisor(AdvisorConfig.builder().enabled(true)
        .baseUrl(slowLlm.url("/").toString()).model("bench").requestTimeout(Duration.ofSeconds(40)).build());
    SimpleMeterRegistry dm = new SimpleMeterRegistry();
    try (DecisionStage stage = DecisionStage.create(dc, registry, advisor, dm, Clock.systemUTC()).start();
         KafkaStreams windows = new KafkaStreams(WindowsTopology.buildTopology(wc, ws, wm),
             WindowsTopology.streamsProperties(wc, ws, wm))) {
      waitRunning(stage.streams());
      long start = System.nanoTime();
      windows.start();
      var observations = meters.find(WindowsMetrics.OBSERVATIONS).counter();
      long deadline = start + TimeUnit.MINUTES.toNanos(5);
      // Every input is either aggregated or dead-lettered (late, once the wall clock closed its window).
      while (observations.count() + deadLetters(wm) < events && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long handled = (long) observations.count() + deadLetters(wm);
      StringBuilder decided = new StringBuilder();
      dm.find(dev.rollguard.streams.decisions.DecisionMetrics.DECISIONS).counters()
          .forEach(c -> decided.append(c.getId().getTag("decided.by")).append('=').append((long) c.count()).append(' '));
      dm.find(dev.rollguard.streams.decisions.DecisionMetrics.FALLBACKS).counters()
          .forEach(c -> decided.append("fallback.").append(c.getId().getTag("kind")).append('=')
              .append((long) c.count()).append(' '));
      System.out.printf(Locale.ROOT, "  run %d: %d inputs handled (%.0f aggregated, %d dead-lettered) in %.2f s, "
              + "windows emitted %d, decisions meanwhile: %s%n", run, handled, observations.count(), deadLetters(wm),
          seconds, wm.emitted("stream-time") + wm.emitted("wall-clock"), decided.toString().trim());
      return handled / seconds;
    } finally {
      if (advisor != null) {
        advisor.close();
      }
    }
  }

  private static void produceRequests(EmbeddedKafka kafka, WindowsSerdes serdes, int events) throws Exception {
    SplittableRandom random = new SplittableRandom(7);
    long now = System.currentTimeMillis();
    long span = TimeUnit.SECONDS.toMillis(30);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 131072), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < events; i++) {
        String flag = "flag-" + (i % 20);
        boolean treatment = random.nextInt(100) < 10;
        RequestMetric m = RequestMetric.newBuilder()
            .setEventId(UUID.randomUUID().toString())
            .setTimestamp(Instant.ofEpochMilli(now - span + span * i / events))
            .setAppName("bench").setEnvironment(ENV).setUserId("u" + random.nextInt(50_000))
            .setExposures(List.of(Exposure.newBuilder().setFeatureName(flag).setEnabled(treatment)
                .setVariant(treatment ? "enabled" : "disabled").build()))
            .setLatencyMs(50 + random.nextDouble() * 100).setStatusCode(200).setError(random.nextInt(100) == 0)
            .build();
        producer.send(new ProducerRecord<>("tp.request-metrics",
            serdes.requestMetrics().serializer().serialize("tp.request-metrics", m)));
      }
      producer.flush();
    }
  }

  private static long deadLetters(WindowsMetrics wm) {
    long n = 0;
    for (var reason : dev.rollguard.streams.windows.DeadLetterReason.values()) {
      n += wm.deadLetters(reason);
    }
    return n;
  }

  private static void waitRunning(KafkaStreams streams) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private static FlagWindowStats window(String flag, int index, int percent) {
    Instant start = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * index);
    Map<String, VariantStats> variants = new TreeMap<>();
    variants.put("disabled", arm(index * 1_000_000L, 100L * (100 - percent)));
    variants.put("enabled", arm(index * 1_000_000L + 500_000, 100L * percent));
    return FlagWindowStats.newBuilder().setFlag(flag).setEnvironment(ENV).setWindowStart(start)
        .setWindowEnd(start.plusSeconds(60)).setControlVariant("disabled").setVariants(variants).build();
  }

  private static VariantStats arm(long firstUser, long users) {
    HllSketch hll = Sketches.newDistinctSketch();
    DDSketch latency = Sketches.newLatencySketch();
    for (long u = 0; u < users; u++) {
      hll.update(firstUser + u);
      latency.accept(100 + u % 50);
      latency.accept(100 + u % 70);
    }
    long unique = Sketches.estimate(hll);
    return VariantStats.newBuilder().setImpressions(2 * users).setUniqueUsers(unique).setRequests(2 * users)
        .setErrors(2 * users / 100).setErrorRate(0.01).setLatencyP50Ms(latency.getValueAtQuantile(0.5))
        .setLatencyP95Ms(latency.getValueAtQuantile(0.95)).setLatencyP99Ms(latency.getValueAtQuantile(0.99))
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(latency))).setConversions(0).setConvertingUsers(0)
        .setConversionRate(0).setUserSketch(ByteBuffer.wrap(Sketches.encodeDistinct(hll)))
        .setConvertingSketch(ByteBuffer.wrap(new byte[0])).build();
  }
}
