package dev.rollguard.streams.windows;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.schemas.serde.WireFormatException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns input bytes that are not a readable event into a {@code DeadLetter} on the dead-letter topic and resumes.
 * Kafka 4's built-in dead-letter queue (KIP-1034) writes the raw record with headers; Rollguard's contract is the
 * {@code DeadLetter} Avro value, so this handler builds those records itself and hands them back to Streams, which
 * sends them in the task's transaction.
 *
 * <p>Only {@link WireFormatException} (malformed bytes, unknown schema id) is bad input. Anything else, such as an
 * unreachable registry, fails the task: good events must never be dead-lettered because of an outage.
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {
  /** Config key under which {@link WindowsTopology#streamsProperties} passes the shared {@link DeadLetters}. */
  public static final String DEAD_LETTERS_CONFIG = "rollguard.windows.dead-letters";
  private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

  private DeadLetters deadLetters;

  @Override
  public void configure(Map<String, ?> configs) {
    Object d = configs.get(DEAD_LETTERS_CONFIG);
    if (!(d instanceof DeadLetters)) {
      throw new ConfigException(DEAD_LETTERS_CONFIG, d, "must be a DeadLetters instance (see WindowsTopology.streamsProperties)");
    }
    deadLetters = (DeadLetters) d;
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    WireFormatException bad = wireFormatCause(exception);
    if (bad == null) {
      log.atError().setCause(exception).addKeyValue("topic", record.topic()).addKeyValue("offset", record.offset())
          .log("cannot deserialize, and not because of the bytes: failing the task");
      return Response.fail();
    }
    DeadLetterReason reason = reason(bad);
    DeadLetter dl = deadLetters.create(reason, detail(bad), record.topic(), record.partition(), record.offset(),
        record.key(), record.value(), System.currentTimeMillis());
    return Response.resume(List.of(
        new ProducerRecord<>(deadLetters.topic(), null, record.key(), deadLetters.serialize(dl))));
  }

  /** {@code UNKNOWN_SCHEMA_ID} or {@code MALFORMED}. */
  public static DeadLetterReason reason(WireFormatException bad) {
    return bad instanceof WireFormatException.UnknownSchemaId
        ? DeadLetterReason.UNKNOWN_SCHEMA_ID : DeadLetterReason.MALFORMED;
  }

  /** The dead letter's reason text: the message, prefixed {@code "malformed: "} unless the schema id is unknown. */
  public static String detail(WireFormatException bad) {
    return reason(bad) == DeadLetterReason.UNKNOWN_SCHEMA_ID ? bad.getMessage() : "malformed: " + bad.getMessage();
  }

  /** The {@link WireFormatException} in {@code t}'s cause chain, or null: only those are bad input. */
  public static WireFormatException wireFormatCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof WireFormatException w) {
        return w;
      }
    }
    return null;
  }
}
