package dev.rollguard.streams.windows;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of {@link PartialWindow} on the repartition topic: a version byte, the aggregate in its changelog form
 * ({@link WindowAggregateSerde}), then the impressions' and the requests' provenance.
 */
public final class PartialWindowSerde implements Serde<PartialWindow> {
  static final byte VERSION = 1;
  private static final int SOURCE_BYTES = 4 + 5 * 8;

  private final WindowAggregateSerde aggregates = new WindowAggregateSerde();

  public byte[] serialize(PartialWindow p) {
    if (p == null) {
      return null;
    }
    byte[] aggregate = aggregates.serialize(p.aggregate());
    ByteBuffer out = ByteBuffer.allocate(1 + 4 + aggregate.length + 2 * SOURCE_BYTES);
    out.put(VERSION);
    WindowAggregateSerde.putBytes(out, aggregate);
    put(out, p.source(Observation.Kind.IMPRESSION));
    put(out, p.source(Observation.Kind.REQUEST));
    return out.array();
  }

  private static void put(ByteBuffer out, PartialWindow.Source s) {
    out.putInt(s.partition).putLong(s.firstOffset).putLong(s.lastOffset).putLong(s.minTimestamp)
        .putLong(s.maxTimestamp).putLong(s.events);
  }

  public PartialWindow deserialize(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      byte version = in.get();
      if (version != VERSION) {
        throw new SerializationException("unknown partial window version " + version);
      }
      WindowAggregate aggregate = aggregates.deserialize(WindowAggregateSerde.getBytes(in));
      PartialWindow p = new PartialWindow(aggregate, get(in), get(in));
      if (in.hasRemaining()) {
        throw new SerializationException(in.remaining() + " trailing bytes after a partial window");
      }
      return p;
    } catch (BufferUnderflowException e) {
      throw new SerializationException("corrupt partial window: " + e, e);
    }
  }

  private static PartialWindow.Source get(ByteBuffer in) {
    return new PartialWindow.Source(in.getInt(), in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getLong());
  }

  @Override
  public Serializer<PartialWindow> serializer() {
    return (topic, p) -> serialize(p);
  }

  @Override
  public Deserializer<PartialWindow> deserializer() {
    return (topic, b) -> deserialize(b);
  }
}
