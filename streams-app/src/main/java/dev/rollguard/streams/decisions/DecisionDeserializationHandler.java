package dev.rollguard.streams.decisions;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.schemas.serde.WireFormatException;
import dev.rollguard.streams.windows.DeadLetterDeserializationHandler;
import dev.rollguard.streams.windows.DeadLetters;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Window statistics whose bytes cannot be read (malformed, unknown schema id) are logged with their coordinates,
 * counted ({@code rollguard.decisions.skipped{reason=undecodable}}) and sent, raw bytes and reason, as a
 * {@code DeadLetter} (category {@code deserialization}) to the dead-letter topic, in the task's transaction; the stage
 * then goes on without a decision for that record. Any other cause (an unreachable registry) fails the task, so good
 * windows are never dead-lettered because of an outage.
 */
public final class DecisionDeserializationHandler implements DeserializationExceptionHandler {
  /** Config key under which {@link DecisionTopology#streamsProperties} passes the shared {@link DecisionMetrics}. */
  public static final String METRICS_CONFIG = "rollguard.decisions.metrics";
  /** Config key under which {@link DecisionTopology#streamsProperties} passes the {@link DeadLetterTopic}. */
  public static final String DEAD_LETTERS_CONFIG = "rollguard.decisions.dead-letters";
  private static final Logger log = LoggerFactory.getLogger(DecisionDeserializationHandler.class);

  /** Where dead letters go, and how their {@code DeadLetter} values are written. */
  public record DeadLetterTopic(String topic, Serializer<DeadLetter> serializer) {}

  private DecisionMetrics metrics;
  private DeadLetterTopic deadLetters;

  @Override
  public void configure(Map<String, ?> configs) {
    if (!(configs.get(METRICS_CONFIG) instanceof DecisionMetrics m)) {
      throw new ConfigException(METRICS_CONFIG, configs.get(METRICS_CONFIG), "must be a DecisionMetrics instance");
    }
    if (!(configs.get(DEAD_LETTERS_CONFIG) instanceof DeadLetterTopic d)) {
      throw new ConfigException(DEAD_LETTERS_CONFIG, configs.get(DEAD_LETTERS_CONFIG),
          "must be a DeadLetterTopic (see DecisionTopology.streamsProperties)");
    }
    metrics = m;
    deadLetters = d;
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    WireFormatException bad = DeadLetterDeserializationHandler.wireFormatCause(exception);
    if (bad == null) {
      log.atError().setCause(exception).addKeyValue("topic", record.topic()).addKeyValue("offset", record.offset())
          .log("cannot deserialize, and not because of the bytes: failing the task");
      return Response.fail();
    }
    metrics.skipped("undecodable");
    log.atError().addKeyValue("topic", record.topic()).addKeyValue("partition", record.partition())
        .addKeyValue("offset", record.offset()).addKeyValue("error", LogSafe.of(String.valueOf(bad.getMessage()), 300))
        .log("undecodable window statistics dead-lettered: no decision for this record");
    DeadLetter dl = DeadLetters.record(DeadLetterDeserializationHandler.reason(bad),
        DeadLetterDeserializationHandler.detail(bad), record.topic(), record.partition(), record.offset(),
        record.key(), record.value(), System.currentTimeMillis());
    return Response.resume(List.of(new ProducerRecord<>(deadLetters.topic(), null, record.key(),
        deadLetters.serializer().serialize(deadLetters.topic(), dl))));
  }
}
