package dev.rollguard.streams.decisions;

import static dev.rollguard.streams.decisions.LocalAi.answer;
import static dev.rollguard.streams.decisions.LocalAi.okAnswer;
import static dev.rollguard.streams.decisions.TestWindows.ENV;
import static dev.rollguard.streams.decisions.TestWindows.T0;
import static dev.rollguard.streams.decisions.TestWindows.healthy;
import static dev.rollguard.streams.decisions.TestWindows.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.advisor.AdvisorConfig;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decision stage on a real broker under exactly-once v2: one broker and one registry for the class. */
final class DecisionStageIT {
  private static EmbeddedKafka kafka;
  private static EmbeddedSchemaRegistry registryServer;
  private static SchemaRegistryClient registry;
  private static DecisionSerdes serdes;
  private static final AtomicInteger RUN = new AtomicInteger();

  @TempDir
  Path tmp;

  @BeforeAll
  static void startServices() {
    kafka = EmbeddedKafka.start();
    registryServer = EmbeddedSchemaRegistry.start();
    registry = SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", registryServer.url()));
    serdes = DecisionSerdes.of(registry);
  }

  @AfterAll
  static void stopServices() {
    if (registryServer != null) {
      registryServer.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  /** Fresh topic names per test, so tests sharing the broker never see each other's records. */
  private record Topics(String windowStats, String flagState, String decisions, String dlq) {
    Map<String, String> config() {
      return Map.of(DecisionStageConfig.TOPIC_WINDOW_STATS, windowStats, DecisionStageConfig.TOPIC_FLAG_STATE,
          flagState, DecisionStageConfig.TOPIC_DECISIONS, decisions, DecisionStageConfig.TOPIC_DLQ, dlq);
    }
  }

  private static Topics topics() {
    int n = RUN.incrementAndGet();
    Topics t = new Topics("ws-" + n, "fs-" + n, "dec-" + n, "dlq-" + n);
    kafka.createTopics(2, t.windowStats(), t.decisions(), t.dlq());
    kafka.createTopics(1, Map.of("cleanup.policy", "compact"), t.flagState());
    return t;
  }

  private DecisionStageConfig config(Topics t, Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(t.config());
    m.put(DecisionStageConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    m.put(DecisionStageConfig.SCHEMA_REGISTRY_URL, registryServer.url());
    m.put(DecisionStageConfig.APPLICATION_ID, "decisions-it-" + RUN.get());
    m.put(DecisionStageConfig.STATE_DIR, tmp.resolve("state").toString());
    m.put("decisions.kafka.session.timeout.ms", "6000");
    m.putAll(extra);
    return DecisionStageConfig.fromMap(m);
  }

  // Record timestamps are the wall clock (the broker refuses timestamps an hour ahead; the test windows are not now).
  private static void produce(Topics t, List<FlagWindowStats> windows, List<FlagState> states) throws Exception {
    Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
        new ByteArraySerializer())) {
      for (FlagState s : states) {
        producer.send(new ProducerRecord<>(t.flagState(), ENV + "/" + s.getFlag(),
            serdes.flagState().serializer().serialize(t.flagState(), s))).get();
      }
      producer.flush();
      for (FlagWindowStats w : windows) {
        producer.send(new ProducerRecord<>(t.windowStats(), ENV + "/" + w.getFlag(),
            serdes.windowStats().serializer().serialize(t.windowStats(), w))).get();
      }
      producer.flush();
    }
  }

  /** Everything committed on the decisions topic, read until {@code expected} arrived and a quiet second passed. */
  private static List<RolloutDecision> readCommitted(Topics t, int expected, Duration timeout) {
    Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<RolloutDecision> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(t.decisions()));
      long deadline = System.nanoTime() + timeout.toNanos();
      long quietUntil = Long.MAX_VALUE;
      while (System.nanoTime() < deadline && System.nanoTime() < quietUntil) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          RolloutDecision d = serdes.decisions().deserializer().deserialize(t.decisions(), r.value());
          assertThat(r.key()).isEqualTo(d.getEnvironment() + "/" + d.getFlag());
          out.add(d);
        }
        if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
          quietUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        }
      }
    }
    return out;
  }

  private static List<FlagWindowStats> windows(List<String> flags, int count) {
    List<FlagWindowStats> w = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      for (String f : flags) {
        w.add(healthy(f, i, 5));
      }
    }
    return w;
  }

  private static void assertOnePerWindow(List<RolloutDecision> decisions, int expected) {
    assertThat(decisions).hasSize(expected);
    Set<String> windows = decisions.stream().map(d -> d.getFlag() + "@" + d.getWindowEnd()).collect(Collectors.toSet());
    assertThat(windows).hasSize(expected);
    assertThat(decisions.stream().map(RolloutDecision::getDecisionId).distinct()).hasSize(expected);
  }

  @Test
  void windowStatsInDecisionsOutExactlyOncePerWindow() throws Exception {
    Topics t = topics();
    List<String> flags = List.of("checkout", "search");
    produce(t, windows(flags, 3), List.of(state("checkout", 5, 1, T0.minusSeconds(3600))));
    try (DecisionStage stage = DecisionStage.create(config(t, Map.of()), registry, null,
        new SimpleMeterRegistry(), Clock.systemUTC()).start()) {
      List<RolloutDecision> out = readCommitted(t, 6, Duration.ofSeconds(60));
      assertOnePerWindow(out, 6);
      assertThat(out).extracting(RolloutDecision::getDecidedBy).containsOnly(DecidedBy.RULES);
      assertThat(stage.metrics().decisionCount(DecidedBy.RULES)).isEqualTo(6);
    }
  }

  @Test
  void undecodableWindowStatsGoToTheDeadLetterTopicInTheTransactionAndTheStageGoesOn() throws Exception {
    Topics t = topics();
    byte[] garbage = {0, 0, 0, 0, 42, 1, 2};
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringSerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(t.windowStats(), ENV + "/checkout", garbage)).get();
    }
    produce(t, windows(List.of("checkout"), 2), List.of(state("checkout", 5, 1, T0.minusSeconds(3600))));
    try (DecisionStage stage = DecisionStage.create(config(t, Map.of()), registry, null,
        new SimpleMeterRegistry(), Clock.systemUTC()).start()) {
      assertOnePerWindow(readCommitted(t, 2, Duration.ofSeconds(60)), 2);
      Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + System.nanoTime(),
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      List<DeadLetter> dead = new ArrayList<>();
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
          new ByteArrayDeserializer())) {
        consumer.subscribe(List.of(t.dlq()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (dead.isEmpty() && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            assertThat(r.key()).isEqualTo(ENV + "/checkout");
            dead.add(serdes.deadLetters().deserializer().deserialize(r.topic(), r.value()));
          }
        }
      }
      assertThat(dead).singleElement().satisfies(d -> {
        assertThat(d.getSourceTopic()).isEqualTo(t.windowStats());
        assertThat(d.getCategory()).isEqualTo("deserialization");
        assertThat(d.getReason()).isEqualTo("unknown schema id 42");
        assertThat(d.getValue().array()).isEqualTo(garbage);
      });
      assertThat(stage.metrics().skippedCount("undecodable")).isEqualTo(1);
    }
  }

  @Test
  void aStageKilledBetweenTheLlmAnswerAndTheCommitNeitherLosesNorDuplicatesADecision() throws Exception {
    Topics t = topics();
    List<String> flags = List.of("checkout");
    int windowCount = 3;
    produce(t, windows(flags, windowCount), List.of(state("checkout", 5, 1, T0.minusSeconds(3600))));
    List<String> asked = new CopyOnWriteArrayList<>();
    try (MockWebServer llm = new MockWebServer()) {
      llm.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          asked.add(request.getBody().utf8());
          return okAnswer(answer("HOLD", 5, 0.6, "Hold for one more window."));
        }
      });
      llm.start();
      Path stateDir = tmp.resolve("child-state");
      Files.createDirectories(stateDir);
      String appId = "decisions-it-" + RUN.get();
      // Commits every 10 minutes: the first child never commits before it is killed.
      Child first = Child.start(t, appId, llm.url("/").toString(), stateDir, 600_000);
      List<String> firstIds = first.awaitDecisionIds(windowCount, Duration.ofSeconds(60));
      assertThat(asked).hasSize(windowCount);
      first.kill();
      assertThat(readCommitted(t, 1, Duration.ofSeconds(2))).as("nothing committed before the crash").isEmpty();

      Child second = Child.start(t, appId, llm.url("/").toString(), stateDir, 100);
      try {
        List<RolloutDecision> out = readCommitted(t, windowCount, Duration.ofSeconds(90));
        assertThat(out).as("restarted child output:%n%s", second.tail()).hasSize(windowCount);
        assertOnePerWindow(out, windowCount);
        assertThat(out).extracting(RolloutDecision::getDecidedBy).containsOnly(DecidedBy.LLM);
        assertThat(out).extracting(RolloutDecision::getDecisionId).containsExactlyInAnyOrderElementsOf(firstIds);
        assertThat(asked).as("the windows were re-decided after the crash").hasSize(2 * windowCount);
      } finally {
        second.kill();
      }
    }
  }

  @Test
  void aTenSecondAdvisorNeverCausesARebalance() throws Exception {
    Topics t = topics();
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      flags.add("flag-" + i);
    }
    List<FlagState> states = flags.stream().map(f -> state(f, 5, 1, T0.minusSeconds(3600))).toList();
    try (MockWebServer llm = new MockWebServer()) {
      llm.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse.Builder(okAnswer(answer("HOLD", 5, 0.6, "slow"))).bodyDelay(10, TimeUnit.SECONDS)
              .build();
        }
      });
      llm.start();
      // 20 s poll interval: a 2.5 s wait budget; four 10 s calls may be in flight, each waited for at most 2 s.
      DecisionStageConfig config = config(t, Map.of(DecisionStageConfig.ADVISOR_CALL_TIMEOUT, "PT2S",
          "decisions.kafka.max.poll.interval.ms", "20000", "decisions.kafka.max.poll.records", "500"));
      LocalAiAdvisor advisor = new LocalAiAdvisor(AdvisorConfig.builder().enabled(true)
          .baseUrl(llm.url("/").toString()).model(LocalAi.MODEL).connectTimeout(Duration.ofSeconds(1))
          .requestTimeout(Duration.ofSeconds(15)).maxConcurrency(4).failureThreshold(100).build());
      List<String> transitions = Collections.synchronizedList(new ArrayList<>());
      try (advisor; DecisionStage stage = DecisionStage.create(config, registry, advisor, new SimpleMeterRegistry(),
          Clock.systemUTC())) {
        stage.streams().setStateListener((next, old) -> transitions.add(old + "->" + next));
        stage.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> stage.streams().state() == KafkaStreams.State.RUNNING);
        long start = System.nanoTime();
        produce(t, windows(flags, 3), states);
        List<RolloutDecision> out = readCommitted(t, 30, Duration.ofSeconds(90));
        long tookS = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

        assertOnePerWindow(out, 30);
        assertThat(out).extracting(RolloutDecision::getDecidedBy).containsOnly(DecidedBy.FALLBACK);
        assertThat(stage.metrics().fallbackCount("TIMEOUT")).isPositive();
        assertThat(tookS).as("30 windows decided well inside a few poll intervals").isLessThan(60);
        // Wait past one more poll interval: a stalled thread would be kicked out of the group now.
        Thread.sleep(21_000);
        assertThat(stage.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        int firstRunning = transitions.indexOf("REBALANCING->RUNNING");
        assertThat(firstRunning).isNotNegative();
        assertThat(transitions.subList(firstRunning + 1, transitions.size()))
            .as("no rebalance after the first RUNNING: %s", transitions).isEmpty();
      }
    }
  }

  /** The decision stage in a child JVM, so it can be killed with SIGKILL. */
  private static final class Child {
    private static final Pattern DECISION_ID = Pattern.compile("decisionId=([0-9a-f-]{36})");
    private final Process process;
    private final List<String> decisionIds = new CopyOnWriteArrayList<>();
    private final List<String> output = new CopyOnWriteArrayList<>();

    private Child(Process process) {
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            output.add(line);
            Matcher m = DECISION_ID.matcher(line);
            if (line.contains(" decision") && m.find()) {
              decisionIds.add(m.group(1));
            }
          }
        } catch (java.io.IOException ignored) {
          // the child was killed
        }
      }, "child-output");
      reader.setDaemon(true);
      reader.start();
    }

    static Child start(Topics t, String appId, String llmUrl, Path stateDir, long commitIntervalMs)
        throws java.io.IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          "-Dorg.slf4j.simpleLogger.logFile=System.out",
          "-Dorg.slf4j.simpleLogger.log.dev.rollguard=info",
          "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams=info",
          ChildMain.class.getName(), kafka.bootstrapServers(), registryServer.url(), llmUrl,
          stateDir.toString(), Long.toString(commitIntervalMs), appId, t.windowStats(), t.flagState(),
          t.decisions(), t.dlq());
      return new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    String tail() {
      return String.join("\n", output.subList(Math.max(0, output.size() - 60), output.size()));
    }

    List<String> awaitDecisionIds(int n, Duration timeout) {
      await().atMost(timeout).until(() -> decisionIds.size() >= n || !process.isAlive());
      assertThat(decisionIds).as("child output:%n%s", String.join("\n",
          output.subList(Math.max(0, output.size() - 40), output.size()))).hasSize(n);
      return List.copyOf(decisionIds);
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
