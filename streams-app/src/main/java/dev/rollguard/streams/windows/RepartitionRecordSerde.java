package dev.rollguard.streams.windows;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of the repartition topic's values. The first byte says what follows: {@link PartialWindowSerde#VERSION}
 * (1) a partial window in {@link PartialWindowSerde}'s layout, unchanged, {@link #WATERMARK} (2) a
 * {@link SourceWatermark} (source, sources, event time). A new partial layout takes a byte not used here.
 */
public final class RepartitionRecordSerde implements Serde<RepartitionRecord> {
  static final byte WATERMARK = 2;
  private static final int WATERMARK_BYTES = 1 + 4 + 4 + 8;

  private final PartialWindowSerde partials = new PartialWindowSerde();

  public byte[] serialize(RepartitionRecord r) {
    if (r == null) {
      return null;
    }
    if (r instanceof PartialWindow p) {
      return partials.serialize(p);
    }
    SourceWatermark w = (SourceWatermark) r;
    return ByteBuffer.allocate(WATERMARK_BYTES).put(WATERMARK).putInt(w.source()).putInt(w.sources())
        .putLong(w.eventTime()).array();
  }

  public RepartitionRecord deserialize(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    if (bytes.length == 0 || bytes[0] != WATERMARK) {
      return partials.deserialize(bytes);
    }
    if (bytes.length != WATERMARK_BYTES) {
      throw new SerializationException("corrupt source watermark: " + bytes.length + " bytes");
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes, 1, WATERMARK_BYTES - 1);
      return new SourceWatermark(in.getInt(), in.getInt(), in.getLong());
    } catch (BufferUnderflowException e) {
      throw new SerializationException("corrupt source watermark: " + e, e);
    }
  }

  @Override
  public Serializer<RepartitionRecord> serializer() {
    return (topic, r) -> serialize(r);
  }

  @Override
  public Deserializer<RepartitionRecord> deserializer() {
    return (topic, b) -> deserialize(b);
  }
}
