package dev.rollguard.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.schemas.serde.SchemaRegistryException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded stand-in passes the registry contract, plus the details only it can be asked about. */
class EmbeddedSchemaRegistryTest extends RegistryConformanceContract {
  private static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void start() {
    registry = EmbeddedSchemaRegistry.start();
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  @Override
  String registryUrl() {
    return registry.url();
  }

  @Test
  void listensOnLoopbackAndReportsItsUrl() {
    assertThat(registry.url()).isEqualTo("http://127.0.0.1:" + registry.port());
    assertThat(registry.clientConfig()).containsEntry("schema.registry.url", registry.url());
  }

  @Test
  void aSubjectWithoutItsOwnLevelIs40408UnlessDefaultingToGlobal() throws Exception {
    client.register(subject, V1);
    assertThat(raw("GET", "/config/" + subject, null, 404).get("error_code").asInt()).isEqualTo(40408);
    assertThat(raw("GET", "/config/" + subject + "?defaultToGlobal=true", null, 200).get("compatibilityLevel").asText())
        .isEqualTo("BACKWARD");
    assertThat(raw("GET", "/config", null, 200).get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
  }

  @Test
  void anUnknownLevelIs42203() throws Exception {
    assertThat(raw("PUT", "/config/" + subject, "{\"compatibility\":\"SIDEWAYS\"}", 422).get("error_code").asInt())
        .isEqualTo(42203);
  }

  @Test
  void forwardRejectsRemovingAFieldTheOldReaderNeeds() {
    client.setCompatibility(subject, "FORWARD");
    client.register(subject, V2_WITHOUT_DEFAULT);
    // Old readers need "b" (no default): data written without it would break them.
    assertThatThrownBy(() -> client.register(subject, V1))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409));
  }

  @Test
  void transitiveLevelsCheckEveryEarlierVersionNotOnlyTheLatest() {
    // v1 {a}, v2 {a, b=null}, v3 {a, b without default}: v3 reads v2 data, but not v1 data.
    client.setCompatibility(subject, "BACKWARD");
    client.register(subject, V1);
    client.register(subject, V2_WITH_DEFAULT);
    String other = subject.replace("-value", "-transitive-value");
    client.setCompatibility(other, "BACKWARD_TRANSITIVE");
    client.register(other, V1);
    client.register(other, V2_WITH_DEFAULT);
    var v3 = record("{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":[\"null\",\"int\"]}");

    client.register(subject, v3);
    assertThatThrownBy(() -> client.register(other, v3))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409));
  }

  @Test
  void verboseCompatibilityExplainsWhy() throws Exception {
    client.register(subject, V1);
    String body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
        .put("schema", V2_WITHOUT_DEFAULT.toString()).toString();
    JsonNode answer = raw("POST", "/compatibility/subjects/" + subject + "/versions/latest?verbose=true", body, 200);
    assertThat(answer.get("is_compatible").asBoolean()).isFalse();
    assertThat(answer.get("messages").toString()).contains("READER_FIELD_MISSING_DEFAULT_VALUE");
  }

  @Test
  void aCompatibilityCheckOnANewSubjectIsTrue() {
    assertThat(client.isCompatible(subject, V1)).isTrue();
  }

  @Test
  void anUnknownPathIs404InTheRegistryErrorShape() throws Exception {
    assertThat(raw("GET", "/nothing/here", null, 404).get("error_code").asInt()).isEqualTo(404);
  }

  @Test
  void theClientCachesSoRepeatedCallsDoNotReachTheRegistry() {
    client.register(subject, V1);
    int before = registry.requestCount();
    for (int i = 0; i < 5; i++) {
      client.register(subject, V1);
      client.lookup(subject, V1);
      client.schemaById(client.register(subject, V1));
    }
    assertThat(registry.requestCount()).isEqualTo(before);
  }

  @Test
  void aFixedPortIsHonouredAndFreedOnClose() {
    int port;
    try (EmbeddedSchemaRegistry first = EmbeddedSchemaRegistry.start()) {
      port = first.port();
    }
    try (EmbeddedSchemaRegistry again = EmbeddedSchemaRegistry.start(port)) {
      assertThat(again.url()).endsWith(":" + port);
    }
  }
}
