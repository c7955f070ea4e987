package dev.rollguard.schemas.serde;

import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * A registry client that keeps schemas in this process: for TopologyTestDriver tests and {@code rollguard simulate},
 * which run without a broker or a registry. Ids are global and stable for identical schemas, as in a real registry.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {
  private final Map<String, Integer> idsByCanonical = new HashMap<>();
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, Map<String, Integer>> subjects = new HashMap<>();

  @Override
  public synchronized int register(String subject, Schema schema) {
    String canonical = schema.toString();
    int id = idsByCanonical.computeIfAbsent(canonical, c -> {
      int next = schemasById.size() + 1;
      schemasById.put(next, schema);
      return next;
    });
    subjects.computeIfAbsent(subject, s -> new HashMap<>()).put(canonical, id);
    return id;
  }

  @Override
  public synchronized int lookup(String subject, Schema schema) {
    Integer id = subjects.getOrDefault(subject, Map.of()).get(schema.toString());
    if (id == null) {
      throw new SchemaNotFoundException("schema not registered under subject " + subject);
    }
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema schema = schemasById.get(id);
    if (schema == null) {
      throw new SchemaNotFoundException("schema id " + id + " not found");
    }
    return schema;
  }
}
