package dev.rollguard.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.schemas.ContractSamples;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import mockwebserver3.junit5.StartStop;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Schema SCHEMA = FlagImpression.getClassSchema();

  @StartStop
  private final MockWebServer server = new MockWebServer();

  private RestSchemaRegistryClient client;

  private RestSchemaRegistryClient client(int maxRetries, String userInfo) {
    client = new RestSchemaRegistryClient(new SchemaRegistryConfig(List.of(URI.create(server.url("/").toString())),
        userInfo, null, Duration.ofSeconds(2), Duration.ofSeconds(2), maxRetries, Duration.ofMillis(10),
        Duration.ofMillis(40), true));
    return client;
  }

  @AfterEach
  void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code)
        .setHeader("Content-Type", "application/vnd.schemaregistry.v1+json").body(body).build();
  }

  private RecordedRequest take() throws InterruptedException {
    return server.takeRequest(1, TimeUnit.SECONDS);
  }

  @Test
  void registerPostsTheSchemaToTheSubjectVersionsWithTheRegistryContentType() throws Exception {
    server.enqueue(json(200, "{\"id\":7}"));

    assertThat(client(0, null).register("flag.impressions-value", SCHEMA)).isEqualTo(7);

    RecordedRequest request = take();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getUrl().encodedPath()).isEqualTo("/subjects/flag.impressions-value/versions");
    assertThat(request.getHeaders().get("Content-Type")).startsWith("application/vnd.schemaregistry.v1+json");
    assertThat(request.getHeaders().get("Authorization")).isNull();
    var body = JSON.readTree(request.getBody().utf8());
    assertThat(new Schema.Parser().parse(body.get("schema").asText())).isEqualTo(SCHEMA);
  }

  @Test
  void idsAndSchemasAreCachedSoEachIsFetchedOnce() throws Exception {
    server.enqueue(json(200, "{\"id\":7}"));
    RestSchemaRegistryClient c = client(0, null);

    assertThat(c.register("s-value", SCHEMA)).isEqualTo(7);
    assertThat(c.register("s-value", SCHEMA)).isEqualTo(7);
    assertThat(c.lookup("s-value", SCHEMA)).isEqualTo(7);
    // The id learnt by registering also answers schemaById without a call.
    assertThat(c.schemaById(7)).isEqualTo(SCHEMA);
    assertThat(server.getRequestCount()).isEqualTo(1);

    server.enqueue(json(200, JSON.createObjectNode().put("schema", SCHEMA.toString()).toString()));
    assertThat(c.schemaById(8)).isEqualTo(SCHEMA);
    assertThat(c.schemaById(8)).isEqualTo(SCHEMA);
    assertThat(server.getRequestCount()).isEqualTo(2);
    take();
    assertThat(take().getUrl().encodedPath()).isEqualTo("/schemas/ids/8");
  }

  @Test
  void lookupPostsToTheSubjectWithoutRegistering() throws Exception {
    server.enqueue(json(200, JSON.createObjectNode().put("subject", "s-value").put("version", 3).put("id", 11)
        .put("schema", SCHEMA.toString()).toString()));

    assertThat(client(0, null).lookup("s-value", SCHEMA)).isEqualTo(11);

    RecordedRequest request = take();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getUrl().encodedPath()).isEqualTo("/subjects/s-value");
  }

  @Test
  void retriesA503ThenSucceeds() {
    server.enqueue(json(503, "{\"error_code\":50003,\"message\":\"Error while forwarding the request to the leader\"}"));
    server.enqueue(json(502, "<html>bad gateway</html>"));
    server.enqueue(json(200, "{\"id\":5}"));

    assertThat(client(3, null).register("s-value", SCHEMA)).isEqualTo(5);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void retriesANetworkErrorThenSucceeds() {
    server.enqueue(new MockResponse.Builder().onRequestStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(json(200, "{\"id\":5}"));

    assertThat(client(2, null).register("s-value", SCHEMA)).isEqualTo(5);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void givesUpAfterMaxRetriesWithTheLastError() {
    for (int i = 0; i < 3; i++) {
      server.enqueue(json(500, "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}"));
    }

    assertThatThrownBy(() -> client(2, null).register("s-value", SCHEMA))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(500);
          assertThat(e.errorCode()).isEqualTo(50001);
          assertThat(e.getMessage()).contains("backend data store");
        });
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void doesNotRetryAnIncompatibleSchema() {
    server.enqueue(json(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}"));
    server.enqueue(json(200, "{\"id\":5}"));

    assertThatThrownBy(() -> client(3, null).register("s-value", SCHEMA))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(409);
          assertThat(e.errorCode()).isEqualTo(409);
          assertThat(e.isTransient()).isFalse();
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void doesNotRetryAnUnauthorizedRequest() {
    server.enqueue(json(401, "{\"error_code\":401,\"message\":\"Unauthorized\"}"));

    assertThatThrownBy(() -> client(3, "bob:wrong").register("s-value", SCHEMA))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
          assertThat(e.httpStatus()).isEqualTo(401);
          assertThat(e.getMessage()).doesNotContain("wrong");
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void anUnknownIdIsSchemaNotFound() {
    server.enqueue(json(404, "{\"error_code\":40403,\"message\":\"Schema 42 not found\"}"));

    assertThatThrownBy(() -> client(3, null).schemaById(42))
        .isInstanceOfSatisfying(SchemaRegistryClient.SchemaNotFoundException.class,
            e -> assertThat(e.errorCode()).isEqualTo(40403));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void theDeserializerTurnsA404ForTheIdIntoUnknownSchemaId() {
    server.enqueue(json(404, "{\"error_code\":40403,\"message\":\"Schema 42 not found\"}"));
    var serde = new AvroSerde<>(FlagImpression.class, client(0, null), false, false);

    assertThatThrownBy(() -> serde.deserialize("flag.impressions", WireFormat.frame(42, new byte[] {2, 0x61})))
        .isInstanceOfSatisfying(WireFormatException.UnknownSchemaId.class,
            e -> assertThat(e.schemaId()).isEqualTo(42));
  }

  @Test
  void aLookupOfAnUnregisteredSubjectIsSchemaNotFound() {
    server.enqueue(json(404, "{\"error_code\":40401,\"message\":\"Subject 's-value' not found.\"}"));

    assertThatThrownBy(() -> client(0, null).lookup("s-value", SCHEMA))
        .isInstanceOfSatisfying(SchemaRegistryClient.SchemaNotFoundException.class,
            e -> assertThat(e.errorCode()).isEqualTo(40401));
  }

  @Test
  void anInvalidSchemaAnswerKeepsTheRegistryErrorCode() {
    server.enqueue(json(422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}"));

    assertThatThrownBy(() -> client(3, null).register("s-value", SCHEMA))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42201));
  }

  @Test
  void sendsBasicAuthFromTheUserInfo() throws Exception {
    server.enqueue(json(200, "{\"id\":1}"));

    client(0, "rollguard:s3cret:with-colon").register("s-value", SCHEMA);

    String expected = "Basic " + Base64.getEncoder()
        .encodeToString("rollguard:s3cret:with-colon".getBytes(StandardCharsets.UTF_8));
    assertThat(take().getHeaders().get("Authorization")).isEqualTo(expected);
  }

  @Test
  void subjectNamesAreEscapedInThePath() throws Exception {
    server.enqueue(json(200, "{\"id\":1}"));

    client(0, null).register("odd/subject name", SCHEMA);

    assertThat(take().getUrl().encodedPath()).isEqualTo("/subjects/odd%2Fsubject%20name/versions");
  }

  @Test
  void keepsAPathPrefixOfTheBaseUrlSuchAsApicuriosCcompatApi() throws Exception {
    server.enqueue(json(200, "{\"id\":1}"));
    client = new RestSchemaRegistryClient(SchemaRegistryConfig.of(server.url("/apis/ccompat/v7").toString()));

    client.register("s-value", SCHEMA);

    assertThat(take().getUrl().encodedPath()).isEqualTo("/apis/ccompat/v7/subjects/s-value/versions");
  }

  @Test
  void failsOverToTheNextUrlWhenOneIsDown() throws Exception {
    // Port 1 on localhost refuses connections: the client must move on to the live registry.
    server.enqueue(json(200, "{\"id\":3}"));
    Map<String, Object> config = Map.of(
        "schema.registry.url", "http://127.0.0.1:1," + server.url("/"),
        "max.retries", 2, "retries.wait.ms", 5, "retries.max.wait.ms", 10);
    try (var c = (RestSchemaRegistryClient) SchemaRegistryClients.fromConfig(config)) {
      assertThat(c.register("s-value", SCHEMA)).isEqualTo(3);
    }
  }

  @Test
  void theSerdeRoundTripsThroughTheRestClient() throws Exception {
    server.enqueue(json(200, "{\"id\":21}"));
    var serde = AvroSerde.forValues(FlagImpression.class, client(0, null));

    byte[] bytes = serde.serialize("flag.impressions", ContractSamples.flagImpression());

    assertThat(WireFormat.schemaId(bytes)).isEqualTo(21);
    assertThat(serde.deserialize("flag.impressions", bytes)).isEqualTo(ContractSamples.flagImpression());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }
}
