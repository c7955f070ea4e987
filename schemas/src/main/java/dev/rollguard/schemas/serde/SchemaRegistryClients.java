package dev.rollguard.schemas.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Builds a {@link SchemaRegistryClient} from Confluent-style configuration (see {@link SchemaRegistryConfig}). */
public final class SchemaRegistryClients {
  /** The URL scheme Confluent uses for in-process registries in tests: {@code mock://<scope>}. */
  public static final String MOCK_SCHEME = "mock://";

  private static final Map<String, InMemorySchemaRegistryClient> MOCK_SCOPES = new ConcurrentHashMap<>();

  private SchemaRegistryClients() {}

  /**
   * A REST client for {@code schema.registry.url=http(s)://...}; for {@code mock://<scope>}, the in-memory registry
   * shared by everything in this JVM configured with the same scope (TopologyTestDriver tests, simulate).
   * The caller owns the returned client: close it if it is {@link AutoCloseable}.
   */
  public static SchemaRegistryClient fromConfig(Map<String, ?> config) {
    String url = SchemaRegistryConfig.string(config, SchemaRegistryConfig.URL);
    if (url != null && url.trim().startsWith(MOCK_SCHEME)) {
      return mock(url.trim().substring(MOCK_SCHEME.length()));
    }
    return new RestSchemaRegistryClient(SchemaRegistryConfig.fromMap(config));
  }

  /** The in-memory registry of a {@code mock://} scope, created on first use. */
  public static InMemorySchemaRegistryClient mock(String scope) {
    return MOCK_SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistryClient());
  }

  /** Forgets a {@code mock://} scope, so the next test starts with an empty registry. */
  public static void dropMock(String scope) {
    MOCK_SCOPES.remove(scope);
  }

  /** Whether serializers configured with this map register schemas ({@code auto.register.schemas}, default true). */
  public static boolean autoRegister(Map<String, ?> config) {
    String v = SchemaRegistryConfig.string(config, SchemaRegistryConfig.AUTO_REGISTER_SCHEMAS);
    return v == null || Boolean.parseBoolean(v.trim());
  }
}
