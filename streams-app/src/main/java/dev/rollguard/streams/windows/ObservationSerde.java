package dev.rollguard.streams.windows;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Binary form of {@link Observation} on the repartition topic: a version byte and fixed fields, ~40 bytes + names. */
public final class ObservationSerde implements Serde<Observation> {
  static final byte VERSION = 1;
  private static final int ERROR = 1;
  private static final int CONVERTED = 2;

  public byte[] serialize(Observation o) {
    if (o == null) {
      return null;
    }
    byte[] variant = WindowAggregateSerde.utf8(o.variant());
    byte[] unit = WindowAggregateSerde.utf8(o.unit());
    ByteBuffer out = ByteBuffer.allocate(1 + 1 + 8 + 4 + variant.length + 4 + unit.length + 8 + 1 + 4 + 8);
    out.put(VERSION).put((byte) o.kind().ordinal()).putLong(o.timestamp());
    WindowAggregateSerde.putBytes(out, variant);
    WindowAggregateSerde.putBytes(out, unit);
    out.putDouble(o.latencyMs())
        .put((byte) ((o.error() ? ERROR : 0) | (o.converted() ? CONVERTED : 0)))
        .putInt(o.sourcePartition())
        .putLong(o.sourceOffset());
    return out.array();
  }

  public Observation deserialize(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      byte version = in.get();
      if (version != VERSION) {
        throw new SerializationException("unknown observation version " + version);
      }
      Observation.Kind kind = Observation.Kind.values()[in.get()];
      long ts = in.getLong();
      String variant = WindowAggregateSerde.getString(in);
      String unit = WindowAggregateSerde.getString(in);
      double latency = in.getDouble();
      int flags = in.get();
      return new Observation(kind, ts, variant, unit, latency, (flags & ERROR) != 0, (flags & CONVERTED) != 0,
          in.getInt(), in.getLong());
    } catch (BufferUnderflowException | ArrayIndexOutOfBoundsException e) {
      throw new SerializationException("corrupt observation: " + e, e);
    }
  }

  @Override
  public Serializer<Observation> serializer() {
    return (topic, o) -> serialize(o);
  }

  @Override
  public Deserializer<Observation> deserializer() {
    return (topic, b) -> deserialize(b);
  }
}
