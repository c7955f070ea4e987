package dev.rollguard.schemas.serde;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry API the serde needs. Implementations cache. Failures other than "not found"
 * surface as {@link SchemaRegistryException}.
 *
 * @see RestSchemaRegistryClient the client for a real registry
 * @see SchemaRegistryClients#fromConfig(java.util.Map) building one from Confluent-style configuration keys
 */
public interface SchemaRegistryClient {
  /** Registers the schema under the subject (or finds it registered) and returns its global id. */
  int register(String subject, Schema schema);

  /** Returns the id of a schema already registered under the subject, without registering it. */
  int lookup(String subject, Schema schema);

  /** Returns the schema with this global id; throws {@link SchemaNotFoundException} when there is none. */
  Schema schemaById(int id);

  /** The registry answered that the subject, version or id does not exist (HTTP 404, error codes 404xx). */
  final class SchemaNotFoundException extends SchemaRegistryException {
    public SchemaNotFoundException(String message) {
      super(message, 404, 40403);
    }

    public SchemaNotFoundException(String message, int errorCode) {
      super(message, 404, errorCode);
    }
  }
}
