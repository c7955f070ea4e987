package dev.rollguard.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollguard run}'s stages from a properties file, against a broker and registry that are "external" to them
 * (embedded here, reached only through the addresses in the file): events in, a decision out.
 */
class RunIT {
  @TempDir
  Path tmp;

  @Test
  void theConfiguredStagesTurnEventsIntoDecisions() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start()) {
      kafka.createTopics(1, "flag.impressions", "flag.request-metrics", "rollout.window-stats", "rollout.dlq",
          "rollout.decisions");
      kafka.createTopics(1, Map.of("cleanup.policy", "compact"), "rollout.flag-state");
      Path file = tmp.resolve("rollguard.properties");
      Files.writeString(file, "bootstrap.servers=" + kafka.bootstrapServers() + "\n"
          + "schema.registry.url=" + registry.url() + "\n"
          + "window.size=2s\nwindow.grace=500ms\nwindow.close-check-interval=200ms\n"
          + "state.dir=" + tmp.resolve("state") + "\n");
      RunConfig config = RunConfig.load(file, Map.of("ROLLGUARD_DECISIONS_APPLICATION_ID", "run-it-decisions"));

      try (RollguardApp app = RollguardApp.start(config, new SimpleMeterRegistry())) {
        List<RolloutDecision> decisions = produceUntilDecided(kafka, registry);
        assertThat(decisions).isNotEmpty();
        RolloutDecision first = decisions.get(0);
        assertThat(first.getFlag()).isEqualTo("checkout");
        // No flag state was published: the stage infers the percent and only advises.
        assertThat(first.getMode()).isEqualTo(Mode.ADVISORY);
        assertThat(app.failure()).isNull();
      }
    }
  }

  private static List<RolloutDecision> produceUntilDecided(EmbeddedKafka kafka, EmbeddedSchemaRegistry registry) {
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
            ConsumerConfig.GROUP_ID_CONFIG, "run-it-reader",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("rollout.decisions"));
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
          producer.send(new ProducerRecord<>("flag.impressions", null, now.toEpochMilli(), null,
              impressions.serialize("flag.impressions", imp)));
          producer.send(new ProducerRecord<>("flag.request-metrics", null, now.toEpochMilli(), null,
              metrics.serialize("flag.request-metrics", req)));
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
