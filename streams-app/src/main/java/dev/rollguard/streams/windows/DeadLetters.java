package dev.rollguard.streams.windows;

import dev.rollguard.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serde;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds dead-letter records, and counts and logs each one: the single path every bad input takes. */
public final class DeadLetters {
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

  private final String topic;
  private final Serde<DeadLetter> serde;
  private final WindowsMetrics metrics;

  public DeadLetters(String topic, Serde<DeadLetter> serde, WindowsMetrics metrics) {
    this.topic = topic;
    this.serde = serde;
    this.metrics = metrics;
  }

  public String topic() {
    return topic;
  }

  public WindowsMetrics metrics() {
    return metrics;
  }

  public byte[] serialize(DeadLetter deadLetter) {
    return serde.serializer().serialize(topic, deadLetter);
  }

  /** A counted, logged dead letter. {@code key} and {@code value} are the raw bytes as received, when known. */
  public DeadLetter create(DeadLetterReason reason, String detail, String sourceTopic, int partition, long offset,
      byte[] key, byte[] value, long nowMillis) {
    return create(reason, detail, sourceTopic, partition, offset, key, value, nowMillis, 1);
  }

  /** A dead letter standing for {@code events} inputs (a late partial window): the metric counts every one of them. */
  public DeadLetter create(DeadLetterReason reason, String detail, String sourceTopic, int partition, long offset,
      byte[] key, byte[] value, long nowMillis, long events) {
    metrics.deadLettered(reason, events);
    log.atWarn()
        .addKeyValue("category", reason.category().value())
        .addKeyValue("reason", reason.tag())
        .addKeyValue("topic", sourceTopic)
        .addKeyValue("partition", partition)
        .addKeyValue("offset", offset)
        .addKeyValue("events", events)
        .log("dead-lettered: {}", detail);
    return record(reason, detail, sourceTopic, partition, offset, key, value, nowMillis);
  }

  /** The {@code DeadLetter} value alone, neither counted nor logged: for callers that count in their own metrics. */
  public static DeadLetter record(DeadLetterReason reason, String detail, String sourceTopic, int partition,
      long offset, byte[] key, byte[] value, long nowMillis) {
    return DeadLetter.newBuilder()
        .setSourceTopic(sourceTopic == null ? "" : sourceTopic)
        .setPartition(partition)
        .setOffset(offset)
        .setReason(detail)
        .setCategory(reason.category().value())
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setFailedAt(Instant.ofEpochMilli(nowMillis))
        .build();
  }

  static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
