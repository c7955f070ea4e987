package dev.rollguard.schemas.serde;

import org.apache.avro.Schema;

/** A registry that knows one schema under one id: lets golden vectors pin the id bytes. */
final class FixedIdRegistry implements SchemaRegistryClient {
  private final int id;
  private final Schema schema;

  FixedIdRegistry(int id, Schema schema) {
    this.id = id;
    this.schema = schema;
  }

  @Override
  public int register(String subject, Schema s) {
    return id;
  }

  @Override
  public int lookup(String subject, Schema s) {
    return id;
  }

  @Override
  public Schema schemaById(int requested) {
    if (requested != id) {
      throw new SchemaNotFoundException("schema id " + requested + " not found");
    }
    return schema;
  }
}
