package dev.rollguard.schemas.serde;

import java.nio.ByteBuffer;

/** The Confluent Schema Registry wire format: magic byte 0x00, 4-byte big-endian schema id, Avro binary body. */
public final class WireFormat {
  public static final byte MAGIC = 0x00;
  public static final int HEADER_LENGTH = 5;

  private WireFormat() {}

  public static byte[] frame(int schemaId, byte[] avroBody) {
    return ByteBuffer.allocate(HEADER_LENGTH + avroBody.length)
        .put(MAGIC)
        .putInt(schemaId)
        .put(avroBody)
        .array();
  }

  /** Reads the schema id from the header; throws {@link WireFormatException.Malformed} for anything else. */
  public static int schemaId(byte[] bytes) {
    if (bytes.length < HEADER_LENGTH) {
      throw new WireFormatException.Malformed(
          "too short for the wire format: " + bytes.length + " bytes, need at least " + HEADER_LENGTH);
    }
    if (bytes[0] != MAGIC) {
      throw new WireFormatException.Malformed(String.format("unknown magic byte 0x%02x, expected 0x00", bytes[0]));
    }
    return ByteBuffer.wrap(bytes, 1, 4).getInt();
  }
}
