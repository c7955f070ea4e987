package dev.rollguard.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.schemas.ContractSamples;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.RestSchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClient.SchemaNotFoundException;
import dev.rollguard.schemas.serde.SchemaRegistryConfig;
import dev.rollguard.schemas.serde.SchemaRegistryException;
import dev.rollguard.schemas.serde.WireFormat;
import dev.rollguard.schemas.serde.WireFormatException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry behaviour Rollguard relies on, as a contract any Confluent-API registry must pass: the embedded
 * stand-in runs it here, the real Confluent image runs it where Docker exists. Each test uses fresh subjects, so one
 * registry serves the whole class.
 */
abstract class RegistryConformanceContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient RAW = HttpClient.newHttpClient();

  /** Base URL of the registry under test. */
  abstract String registryUrl();

  RestSchemaRegistryClient client;
  String subject;

  @BeforeEach
  void newClientAndSubject() {
    client = new RestSchemaRegistryClient(SchemaRegistryConfig.of(registryUrl()));
    subject = "conformance-" + UUID.randomUUID() + "-value";
  }

  @AfterEach
  void closeClient() {
    client.close();
  }

  static Schema record(String fields) {
    return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"conformance\","
        + "\"fields\":[" + fields + "]}");
  }

  static final Schema V1 = record("{\"name\":\"a\",\"type\":\"string\"}");
  static final Schema V2_WITH_DEFAULT = record("{\"name\":\"a\",\"type\":\"string\"},"
      + "{\"name\":\"b\",\"type\":[\"null\",\"int\"],\"default\":null}");
  static final Schema V2_WITHOUT_DEFAULT = record("{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\"}");

  /** A client without its caches, so each assertion really asks the registry. */
  RestSchemaRegistryClient freshClient() {
    return new RestSchemaRegistryClient(SchemaRegistryConfig.of(registryUrl()));
  }

  JsonNode raw(String method, String path, String body, int expectedStatus) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(registryUrl() + path))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response = RAW.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(expectedStatus);
    return JSON.readTree(response.body());
  }

  @Test
  void registeringTheSameSchemaTwiceGivesTheSameIdAndOneVersion() {
    int first = client.register(subject, V1);
    try (RestSchemaRegistryClient other = freshClient()) {
      assertThat(other.register(subject, V1)).isEqualTo(first);
      assertThat(other.versions(subject)).containsExactly(1);
    }
  }

  @Test
  void theSameSchemaUnderTwoSubjectsSharesOneGlobalId() {
    int id = client.register(subject, V1);
    assertThat(client.register(subject.replace("-value", "-key"), V1)).isEqualTo(id);
  }

  @Test
  void lookupFindsARegisteredSchemaAndRefusesAnUnregisteredOne() {
    int id = client.register(subject, V1);
    try (RestSchemaRegistryClient other = freshClient()) {
      assertThat(other.lookup(subject, V1)).isEqualTo(id);
      assertThatThrownBy(() -> other.lookup(subject, V2_WITH_DEFAULT))
          .isInstanceOfSatisfying(SchemaNotFoundException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
      assertThatThrownBy(() -> other.lookup("no-such-" + subject, V1))
          .isInstanceOfSatisfying(SchemaNotFoundException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    }
  }

  @Test
  void schemaByIdReturnsTheRegisteredSchemaAndNotFoundForAnUnknownId() {
    int id = client.register(subject, V1);
    try (RestSchemaRegistryClient other = freshClient()) {
      assertThat(other.schemaById(id)).isEqualTo(V1);
      assertThatThrownBy(() -> other.schemaById(987_654_321))
          .isInstanceOfSatisfying(SchemaNotFoundException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    }
  }

  @Test
  void backwardCompatibleChangesAreAcceptedAsNewVersions() {
    int v1 = client.register(subject, V1);
    int v2 = client.register(subject, V2_WITH_DEFAULT);
    assertThat(v2).isNotEqualTo(v1);
    assertThat(client.versions(subject)).containsExactly(1, 2);
    RestSchemaRegistryClient.RegisteredSchema latest = client.latest(subject);
    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.id()).isEqualTo(v2);
    assertThat(latest.schema()).isEqualTo(V2_WITH_DEFAULT);
    assertThat(client.subjects()).contains(subject);
  }

  @Test
  void aFieldAddedWithoutADefaultIsRejectedAs409UnderBackward() {
    client.register(subject, V1);
    assertThat(client.compatibility(subject)).isEqualTo("BACKWARD");

    assertThatThrownBy(() -> client.register(subject, V2_WITHOUT_DEFAULT))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(409);
          assertThat(e.errorCode()).isEqualTo(409);
        });
    assertThat(client.versions(subject)).containsExactly(1);
  }

  @Test
  void theCompatibilityEndpointAnswersWithoutRegistering() {
    client.register(subject, V1);
    assertThat(client.isCompatible(subject, V2_WITH_DEFAULT)).isTrue();
    assertThat(client.isCompatible(subject, V2_WITHOUT_DEFAULT)).isFalse();
    assertThat(client.versions(subject)).containsExactly(1);
  }

  @Test
  void aSubjectLevelOfNoneLetsAnIncompatibleChangeThrough() {
    client.register(subject, V1);
    client.setCompatibility(subject, "NONE");
    assertThat(client.compatibility(subject)).isEqualTo("NONE");
    client.register(subject, V2_WITHOUT_DEFAULT);
    assertThat(client.versions(subject)).containsExactly(1, 2);
  }

  @Test
  void anInvalidSchemaIs42201() throws Exception {
    JsonNode error = raw("POST", "/subjects/" + subject + "/versions", "{\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}", 422);
    assertThat(error.get("error_code").asInt()).isEqualTo(42201);
  }

  @Test
  void anUnknownVersionIs40402AndAnUnknownSubject40401() throws Exception {
    client.register(subject, V1);
    assertThat(raw("GET", "/subjects/" + subject + "/versions/7", null, 404).get("error_code").asInt()).isEqualTo(40402);
    assertThat(raw("GET", "/subjects/no-such-" + subject + "/versions", null, 404).get("error_code").asInt())
        .isEqualTo(40401);
  }

  @Test
  void theSerdeRoundTripsAContractRecordThroughTheRegistry() {
    var serde = AvroSerde.forValues(FlagImpression.class, client);
    String topic = subject.replace("-value", "");
    byte[] bytes = serde.serialize(topic, ContractSamples.flagImpression());

    try (RestSchemaRegistryClient reader = freshClient()) {
      var readerSerde = new AvroSerde<>(FlagImpression.class, reader, false, false);
      assertThat(readerSerde.deserialize(topic, bytes)).isEqualTo(ContractSamples.flagImpression());
      byte[] unknown = WireFormat.frame(987_654_321, new byte[] {0});
      assertThatThrownBy(() -> readerSerde.deserialize(topic, unknown))
          .isInstanceOf(WireFormatException.UnknownSchemaId.class);
    }
  }
}
