package dev.rollguard.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/** Bytes that cannot be read as a Rollguard event; the dead-letter handling keys its reason on the subtype. */
public class WireFormatException extends SerializationException {
  public WireFormatException(String message) {
    super(message);
  }

  public WireFormatException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Not the Confluent wire format (wrong magic byte, too short) or an Avro body that does not decode. */
  public static final class Malformed extends WireFormatException {
    public Malformed(String message) {
      super(message);
    }

    public Malformed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The schema id in the header is not known to the registry. */
  public static final class UnknownSchemaId extends WireFormatException {
    private final int schemaId;

    public UnknownSchemaId(int schemaId, Throwable cause) {
      super("unknown schema id " + schemaId, cause);
      this.schemaId = schemaId;
    }

    public int schemaId() {
      return schemaId;
    }
  }
}
