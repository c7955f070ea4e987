package dev.rollguard.streams.windows;

import dev.rollguard.schemas.Sketches;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of {@link WindowAggregate} in the changelog: a version byte, the key and window bounds, then per variant
 * its counts and the three sketches in the shared {@code Sketches} encoding. Internal to this topology; a new layout
 * gets a new version byte so a restore from an older changelog still reads.
 */
public final class WindowAggregateSerde implements Serde<WindowAggregate> {
  static final byte VERSION = 1;

  public byte[] serialize(WindowAggregate a) {
    if (a == null) {
      return null;
    }
    byte[] env = utf8(a.key().environment());
    byte[] flag = utf8(a.key().flag());
    record Encoded(byte[] name, VariantAggregate v, byte[] latency, byte[] units, byte[] converting) {}
    var encoded = new java.util.ArrayList<Encoded>(a.variants().size());
    int size = 1 + 4 + env.length + 4 + flag.length + 8 + 8 + 4;
    for (Map.Entry<String, VariantAggregate> e : a.variants().entrySet()) {
      VariantAggregate v = e.getValue();
      Encoded enc = new Encoded(utf8(e.getKey()), v, Sketches.encodeLatency(v.latency),
          Sketches.encodeDistinct(v.units), Sketches.encodeDistinct(v.convertingUnits));
      encoded.add(enc);
      size += 4 + enc.name.length + 4 * 8 + 4 + enc.latency.length + 4 + enc.units.length + 4 + enc.converting.length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(VERSION);
    putBytes(out, env);
    putBytes(out, flag);
    out.putLong(a.windowStart()).putLong(a.windowEnd()).putInt(encoded.size());
    for (Encoded e : encoded) {
      putBytes(out, e.name);
      out.putLong(e.v.impressions).putLong(e.v.requests).putLong(e.v.errors).putLong(e.v.conversions);
      putBytes(out, e.latency);
      putBytes(out, e.units);
      putBytes(out, e.converting);
    }
    return out.array();
  }

  public WindowAggregate deserialize(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      byte version = in.get();
      if (version != VERSION) {
        throw new SerializationException("unknown window aggregate version " + version);
      }
      FlagKey key = new FlagKey(getString(in), getString(in));
      long start = in.getLong();
      long end = in.getLong();
      int n = in.getInt();
      Map<String, VariantAggregate> variants = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        String name = getString(in);
        long impressions = in.getLong();
        long requests = in.getLong();
        long errors = in.getLong();
        long conversions = in.getLong();
        variants.put(name, new VariantAggregate(impressions, requests, errors, conversions,
            Sketches.decodeLatency(getBytes(in)), Sketches.decodeDistinct(getBytes(in)),
            Sketches.decodeDistinct(getBytes(in))));
      }
      if (in.hasRemaining()) {
        throw new SerializationException(in.remaining() + " trailing bytes after a window aggregate");
      }
      return new WindowAggregate(key, start, end, variants);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new SerializationException("corrupt window aggregate: " + e, e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void putBytes(ByteBuffer out, byte[] b) {
    out.putInt(b.length).put(b);
  }

  static byte[] getBytes(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0 || n > in.remaining()) {
      throw new SerializationException("bad length " + n + " with " + in.remaining() + " bytes left");
    }
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }

  static String getString(ByteBuffer in) {
    return new String(getBytes(in), StandardCharsets.UTF_8);
  }

  @Override
  public Serializer<WindowAggregate> serializer() {
    return (topic, a) -> serialize(a);
  }

  @Override
  public Deserializer<WindowAggregate> deserializer() {
    return (topic, b) -> deserialize(b);
  }
}
