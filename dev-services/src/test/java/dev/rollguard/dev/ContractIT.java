package dev.rollguard.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.schemas.ContractSamples;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.RestSchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryConfig;
import dev.rollguard.schemas.serde.WireFormat;
import dev.rollguard.schemas.serde.WireFormatException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole contract through real parts: a KRaft broker in this JVM, the embedded registry over HTTP, the REST client
 * and the serde configured from Confluent-style keys, as Kafka Streams and Connect configure it. No mocks of Kafka.
 */
class ContractIT {
  static final String IMPRESSIONS = "flag.impressions";
  static final String REQUEST_METRICS = "flag.request-metrics";

  private static EmbeddedKafka kafka;
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void startServices() {
    kafka = EmbeddedKafka.start();
    registry = EmbeddedSchemaRegistry.start();
    kafka.createTopics(3, IMPRESSIONS, REQUEST_METRICS);
    // Subjects are checked exactly: no other test in this class may register anything.
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

  private static Map<String, Object> serdeConfig() {
    return Map.of(SchemaRegistryConfig.URL, registry.url(), SchemaRegistryConfig.AUTO_REGISTER_SCHEMAS, "true");
  }

  private static <V> void produce(String topic, Serializer<V> serializer, List<V> values, List<String> keys)
      throws Exception {
    Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all");
    try (var producer = new KafkaProducer<>(config, new StringSerializer(), serializer)) {
      for (int i = 0; i < values.size(); i++) {
        producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i))).get();
      }
    }
  }

  private static <V> List<V> consume(String topic, Deserializer<V> deserializer, int expected) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "contract-it-" + topic + "-" + deserializer.getClass().getSimpleName());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<V> seen = new ArrayList<>();
    try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), deserializer)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (seen.size() < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
          seen.add(r.value());
        }
      }
    }
    return seen;
  }

  @Test
  void flagImpressionsAndRequestMetricsRoundTripThroughBrokerAndRegistry() throws Exception {
    List<FlagImpression> impressions = List.of(ContractSamples.flagImpression(), ContractSamples.disabledImpression());
    List<RequestMetric> metrics = List.of(ContractSamples.requestMetric());

    try (var impressionSerde = AvroSerde.fromConfig(FlagImpression.class, serdeConfig(), false);
        var metricSerde = AvroSerde.fromConfig(RequestMetric.class, serdeConfig(), false)) {
      produce(IMPRESSIONS, impressionSerde.serializer(), impressions, List.of("new-checkout|production", "new-checkout|production"));
      produce(REQUEST_METRICS, metricSerde.serializer(), metrics, List.of("user-42"));
    }

    // A consumer with its own client and serde: everything it knows comes from the broker and the registry.
    try (var impressionSerde = AvroSerde.fromConfig(FlagImpression.class, serdeConfig(), false);
        var metricSerde = AvroSerde.fromConfig(RequestMetric.class, serdeConfig(), false)) {
      assertThat(consume(IMPRESSIONS, impressionSerde.deserializer(), 2)).containsExactlyInAnyOrderElementsOf(impressions);
      assertThat(consume(REQUEST_METRICS, metricSerde.deserializer(), 1)).containsExactlyElementsOf(metrics);
    }

    try (var client = new RestSchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
      assertThat(client.subjects()).containsExactlyInAnyOrder("flag.impressions-value", "flag.request-metrics-value");
      assertThat(client.versions("flag.impressions-value")).containsExactly(1);
      assertThat(client.latest("flag.impressions-value").schema()).isEqualTo(FlagImpression.getClassSchema());
      assertThat(client.latest("flag.request-metrics-value").schema()).isEqualTo(RequestMetric.getClassSchema());

      // The bytes on the topic carry the id the registry gave the subject's schema.
      int impressionId = client.lookup("flag.impressions-value", FlagImpression.getClassSchema());
      for (Bytes raw : consume(IMPRESSIONS, new org.apache.kafka.common.serialization.BytesDeserializer(), 2)) {
        assertThat(raw.get()[0]).isEqualTo(WireFormat.MAGIC);
        assertThat(WireFormat.schemaId(raw.get())).isEqualTo(impressionId);
      }
    }
  }

  @Test
  void aRecordWithAnUnknownSchemaIdReachesTheConsumerAsUnknownSchemaId() throws Exception {
    String topic = "contract-it.unknown-id";
    kafka.createTopics(1, topic);
    produce(topic, new org.apache.kafka.common.serialization.ByteArraySerializer(),
        List.of(WireFormat.frame(987_654, new byte[] {2, 0x61})), List.of("k"));

    try (var serde = AvroSerde.fromConfig(FlagImpression.class, serdeConfig(), false)) {
      assertThatThrownBy(() -> consume(topic, serde.deserializer(), 1))
          .isInstanceOf(RecordDeserializationException.class)
          .cause().isInstanceOfSatisfying(WireFormatException.UnknownSchemaId.class,
              e -> assertThat(e.schemaId()).isEqualTo(987_654));
    }
  }
}
