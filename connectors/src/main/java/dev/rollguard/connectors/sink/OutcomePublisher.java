package dev.rollguard.connectors.sink;

import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Publishes {@link ApplyOutcome}s to {@code rollout.applied}. A sink task has no way to produce through the Connect
 * framework, so the task owns this small idempotent producer. Each outcome is sent and acknowledged before the
 * task moves on: outcomes are few (one per decision), and an outcome is then never lost behind a committed offset.
 */
final class OutcomePublisher implements AutoCloseable {
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaProducer<byte[], byte[]> producer;
  private final AvroSerde<ApplyOutcome> serde;
  private final String topic;

  OutcomePublisher(KafkaProducer<byte[], byte[]> producer, AvroSerde<ApplyOutcome> serde, String topic) {
    this.producer = producer;
    this.serde = serde;
    this.topic = topic;
  }

  static KafkaProducer<byte[], byte[]> producer(UnleashSinkConfig config, String clientId) {
    Map<String, Object> props = new HashMap<>(config.originalsWithPrefix(UnleashSinkConfig.OUTCOMES_PRODUCER_PREFIX));
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getList(UnleashSinkConfig.OUTCOMES_BOOTSTRAP_SERVERS));
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    props.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) SEND_TIMEOUT.toMillis() - 5_000);
    props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  void publish(ApplyOutcome outcome) {
    byte[] key = (outcome.getEnvironment() + "/" + outcome.getFlag()).getBytes(StandardCharsets.UTF_8);
    byte[] value = serde.serialize(topic, outcome);
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectException("interrupted while publishing the outcome of " + outcome.getDecisionId(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new ConnectException("cannot publish the outcome of decision " + outcome.getDecisionId() + " to " + topic
          + ": " + (e.getCause() == null ? e : e.getCause()), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
    serde.close();
  }
}
