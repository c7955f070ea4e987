package dev.rollguard.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.RestSchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.schemas.serde.SchemaRegistryConfig;
import dev.rollguard.schemas.serde.WireFormat;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollguard run}'s stages from a properties file, against a broker and registry that are "external" to them
 * (embedded here, reached only through the addresses in the file): events in, a decision out.
 */
class RunIT {
  private static EmbeddedKafka kafka;
  private static EmbeddedSchemaRegistry registry;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startBrokerAndRegistry() {
    kafka = EmbeddedKafka.start();
    registry = EmbeddedSchemaRegistry.start();
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void theConfiguredStagesTurnEventsIntoDecisions() throws Exception {
    Topics t = Topics.create("");
    RunConfig config = RunConfig.load(propertiesFile(t, ""), Map.of("ROLLGUARD_DECISIONS_APPLICATION_ID", "run-it-decisions"));

    try (RollguardApp app = RollguardApp.start(config, new SimpleMeterRegistry())) {
      List<RolloutDecision> decisions = produceUntilDecided(t);
      assertThat(decisions).isNotEmpty();
      RolloutDecision first = decisions.get(0);
      assertThat(first.getFlag()).isEqualTo("checkout");
      // No flag state was published: the stage infers the percent and only advises.
      assertThat(first.getMode()).isEqualTo(Mode.ADVISORY);
      assertThat(app.failure()).isNull();
    }
  }

  /**
   * A registry where only CI registers: with auto-registration off, {@code run} refuses to start while an output
   * subject lacks Rollguard's schema, names the missing subjects, and once they are registered runs on the registered
   * ids without registering anything itself.
   */
  @Test
  void withAutoRegistrationOffTheStagesNeedAndUseThePreRegisteredSchemas() throws Exception {
    Topics t = Topics.create("noreg.");
    Path file = propertiesFile(t, "schema.registry.auto.register.schemas=false\n"
        + "application.id=run-it-noreg-windows\ndecisions.application.id=run-it-noreg-decisions\n");
    RunConfig config = RunConfig.load(file, Map.of());

    assertThatThrownBy(() -> RollguardApp.start(config, new SimpleMeterRegistry()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(t.windowStats + "-value (dev.rollguard.avro.FlagWindowStats)")
        .hasMessageContaining(t.dlq + "-value (dev.rollguard.avro.DeadLetter)")
        .hasMessageContaining(t.decisions + "-value (dev.rollguard.avro.RolloutDecision)");
    assertThat(registryHas(t.windowStats + "-value")).as("a failed start registers nothing").isFalse();

    int statsId;
    int decisionId;
    try (RestSchemaRegistryClient ci = restClient()) {
      statsId = ci.register(t.windowStats + "-value", FlagWindowStats.getClassSchema());
      ci.register(t.dlq + "-value", DeadLetter.getClassSchema());
      decisionId = ci.register(t.decisions + "-value", RolloutDecision.getClassSchema());
    }
    try (RollguardApp app = RollguardApp.start(config, new SimpleMeterRegistry())) {
      List<RolloutDecision> decisions = produceUntilDecided(t);
      assertThat(decisions).isNotEmpty();
      assertThat(app.failure()).isNull();
    }
    // The outputs were written with the ids registered above (the wire format's schema id).
    assertThat(firstSchemaId(t.windowStats)).isEqualTo(statsId);
    assertThat(firstSchemaId(t.decisions)).isEqualTo(decisionId);
  }

  private record Topics(String impressions, String requestMetrics, String windowStats, String dlq, String decisions,
                        String flagState) {
    static Topics create(String prefix) {
      Topics t = new Topics(prefix + "flag.impressions", prefix + "flag.request-metrics",
          prefix + "rollout.window-stats", prefix + "rollout.dlq", prefix + "rollout.decisions",
          prefix + "rollout.flag-state");
      kafka.createTopics(1, t.impressions, t.requestMetrics, t.windowStats, t.dlq, t.decisions);
      kafka.createTopics(1, Map.of("cleanup.policy", "compact"), t.flagState);
      return t;
    }
  }

  private Path propertiesFile(Topics t, String extra) throws Exception {
    Path file = tmp.resolve("rollguard.properties");
    Files.writeString(file, "bootstrap.servers=" + kafka.bootstrapServers() + "\n"
        + "schema.registry.url=" + registry.url() + "\n"
        + "topic.impressions=" + t.impressions + "\ntopic.request-metrics=" + t.requestMetrics + "\n"
        + "topic.window-stats=" + t.windowStats + "\ntopic.dlq=" + t.dlq + "\n"
        + "topic.decisions=" + t.decisions + "\ntopic.flag-state=" + t.flagState + "\n"
        + "window.size=2s\nwindow.grace=500ms\nwindow.close-check-interval=200ms\n"
        + "state.dir=" + tmp.resolve("state") + "\n" + extra);
    return file;
  }

  private static RestSchemaRegistryClient restClient() {
    return new RestSchemaRegistryClient(SchemaRegistryConfig.fromMap(registry.clientConfig()));
  }

  private static boolean registryHas(String subject) {
    try (RestSchemaRegistryClient rest = restClient()) {
      return rest.subjects().contains(subject);
    }
  }

  private static int firstSchemaId(String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(new TopicPartition(topic, 0)));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          return WireFormat.schemaId(r.value());
        }
      }
    }
    throw new AssertionError("nothing committed on " + topic);
  }

  private static List<RolloutDecision> produceUntilDecided(Topics t) {
    SchemaRegistryClient client = SchemaRegistryClients.fromConfig(registry.clientConfig());
    AvroSerde<FlagImpression> impressions = AvroSerde.forValues(FlagImpression.class, client);
    AvroSerde<RequestMetric> metrics = AvroSerde.forValues(RequestMetric.class, client);
    AvroSerde<RolloutDecision> decisionSerde = AvroSerde.forValues(RolloutDecision.class, client);
    List<RolloutDecision> decided = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new ByteArraySerializer(), new ByteArraySerializer());
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "run-it-reader-" + t.decisions,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(t.decisions));
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      int seq = 0;
      while (decided.isEmpty() && System.nanoTime() < deadline) {
        Instant now = Instant.now();
        for (int u = 0; u < 50; u++, seq++) {
          String user = "u" + (seq % 2000);
          boolean treatment = Math.floorMod(user.hashCode(), 2) == 0;
          FlagImpression imp = FlagImpression.newBuilder().setEventId("i" + seq).setTimestamp(now).setAppName("it")
              .setEnvironment("production").setFeatureName("checkout").setEnabled(treatment).setVariant("disabled")
              .setUserId(user).build();
          RequestMetric req = RequestMetric.newBuilder().setEventId("r" + seq).setTimestamp(now).setAppName("it")
              .setEnvironment("production").setUserId(user)
              .setExposures(List.of(new Exposure("checkout", treatment, "disabled"))).setLatencyMs(100 + u)
              .setStatusCode(200).setError(false).build();
          producer.send(new ProducerRecord<>(t.impressions, null, now.toEpochMilli(), null,
              impressions.serialize(t.impressions, imp)));
          producer.send(new ProducerRecord<>(t.requestMetrics, null, now.toEpochMilli(), null,
              metrics.serialize(t.requestMetrics, req)));
        }
        producer.flush();
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          decided.add(decisionSerde.deserialize(r.topic(), r.value()));
        }
      }
    }
    return decided;
  }
}
