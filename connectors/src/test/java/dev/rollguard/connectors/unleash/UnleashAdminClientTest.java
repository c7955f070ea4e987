package dev.rollguard.connectors.unleash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.connectors.unleash.UnleashResult.Failure;
import dev.rollguard.connectors.unleash.UnleashResult.FailureKind;
import dev.rollguard.connectors.unleash.UnleashResult.Ok;
import java.time.Duration;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UnleashAdminClientTest {
  private static final String TOKEN = "*:*.unit-test-token";
  private final MockWebServer server = new MockWebServer();
  private UnleashAdminClient client;

  @BeforeEach
  void start() throws Exception {
    server.start();
    client = new UnleashAdminClient(UnleashAdminClient.defaultHttpClient(Duration.ofSeconds(5)),
        server.url("/unleash/").toString(), TOKEN);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void setRolloutPatchesOnlyTheRolloutAndTitleWithTheToken() throws Exception {
    server.enqueue(json(200, """
        {"id":"s1","name":"flexibleRollout","title":"t","parameters":{"rollout":"25","stickiness":"default"},"sortOrder":0}"""));

    UnleashResult<Strategy> result = client.setRollout("default", "my-flag", "production", "s1", 25, "t");

    assertThat(result).isInstanceOf(Ok.class);
    assertThat(result.value().rolloutPercent()).isEqualTo(25);
    RecordedRequest request = server.takeRequest();
    assertThat(request.getMethod()).isEqualTo("PATCH");
    assertThat(request.getUrl().encodedPath())
        .isEqualTo("/unleash/api/admin/projects/default/features/my-flag/environments/production/strategies/s1");
    assertThat(request.getHeaders().get("Authorization")).isEqualTo(TOKEN);
    assertThat(new ObjectMapper().readTree(request.getBody().utf8())).isEqualTo(new ObjectMapper().readTree("""
        [{"op":"replace","path":"/parameters/rollout","value":"25"},{"op":"replace","path":"/title","value":"t"}]"""));
  }

  @ParameterizedTest
  @CsvSource({"-1", "101", "150"})
  void refusesAPercentOutsideZeroToHundredWithoutCallingUnleash(int percent) {
    UnleashResult<Strategy> result = client.setRollout("default", "f", "production", "s1", percent, null);

    assertThat(result).isInstanceOfSatisfying(Failure.class, f -> {
      assertThat(f.kind()).isEqualTo(FailureKind.INVALID);
      assertThat(f.message()).contains(percent + " is outside 0..100");
    });
    assertThat(server.getRequestCount()).isZero();
  }

  @ParameterizedTest
  @CsvSource({"400,REJECTED,false", "401,UNAUTHORIZED,false", "403,FORBIDDEN,false", "404,NOT_FOUND,false",
      "409,CONFLICT,false", "429,SERVER_ERROR,true", "500,SERVER_ERROR,true", "503,SERVER_ERROR,true"})
  void mapsStatusesToFailureKinds(int status, FailureKind kind, boolean retriable) {
    server.enqueue(json(status, "{\"name\":\"Error\",\"message\":\"because " + status + "\"}"));

    UnleashResult<FeatureFlag> result = client.getFlag("default", "f");

    assertThat(result).isInstanceOfSatisfying(Failure.class, f -> {
      assertThat(f.status()).isEqualTo(status);
      assertThat(f.kind()).isEqualTo(kind);
      assertThat(f.retriable()).isEqualTo(retriable);
      assertThat(f.message()).isEqualTo("GET /unleash/api/admin/projects/default/features/f answered " + status
          + ": because " + status);
    });
  }

  @Test
  void noAnswerIsARetriableNetworkFailure() {
    server.close();

    UnleashResult<FeatureFlag> result = client.getFlag("default", "f");

    assertThat(result).isInstanceOfSatisfying(Failure.class, f -> {
      assertThat(f.kind()).isEqualTo(FailureKind.NETWORK);
      assertThat(f.retriable()).isTrue();
      assertThat(f.status()).isZero();
    });
  }

  @Test
  void whoAmINamesTheTokenUserAndWithholdsTheBodyThatEchoesTheToken() {
    server.enqueue(json(200, "{\"user\":{\"username\":\"rollguard-applier\",\"secret\":\"" + TOKEN + "\",\"type\":\"admin\"}}"));

    UnleashResult<String> me = client.whoAmI();

    assertThat(me).isEqualTo(new Ok<>(200, "rollguard-applier", null));
  }

  @Test
  void theTokenNeverAppearsInFailuresOrToString() {
    server.enqueue(json(401, "{\"message\":\"You must log in to use Unleash.\"}"));

    UnleashResult<Void> result = client.setEnvironmentEnabled("default", "f", "production", false);

    assertThat(result.toString()).doesNotContain(TOKEN).contains("401");
    assertThat(client.toString()).doesNotContain(TOKEN);
  }

  @Test
  void readsAFlagAndPicksTheFirstFlexibleRolloutBySortOrder() {
    server.enqueue(json(200, """
        {"name":"f","project":"default","environments":[
          {"name":"production","enabled":true,"strategies":[
            {"id":"b","name":"flexibleRollout","sortOrder":2,"parameters":{"rollout":"70"}},
            {"id":"x","name":"default","sortOrder":0,"parameters":{}},
            {"id":"a","name":"flexibleRollout","sortOrder":1,"parameters":{"rollout":"30"}}]},
          {"name":"development","enabled":false,"strategies":[]}]}"""));

    FeatureFlag flag = client.getFlag("default", "f").value();

    FeatureEnvironment production = flag.environment("production").orElseThrow();
    assertThat(production.enabled()).isTrue();
    assertThat(production.flexibleRollout()).get().extracting(Strategy::id).isEqualTo("a");
    assertThat(production.flexibleRollout().get().rolloutPercent()).isEqualTo(30);
    assertThat(flag.environment("development").orElseThrow().flexibleRollout()).isEmpty();
  }

  @Test
  void searchesEventsOfOneFlagNewestFirst() throws Exception {
    server.enqueue(json(200, """
        {"events":[{"id":12,"type":"feature-strategy-update","createdBy":"alice","createdAt":"2026-11-24T06:25:37.064Z",
          "featureName":"f","project":"default","environment":"production","data":{"title":null}},
          {"id":11,"type":"feature-tagged","createdBy":"alice","createdAt":"2026-11-24T06:25:36.000Z",
          "featureName":"f","project":"default","environment":null,"data":{"type":"rollguard","value":"managed"}}]}"""));

    var events = client.searchEvents("f", null, 0, 100).value();

    assertThat(events).extracting(UnleashEvent::id).containsExactly(12L, 11L);
    assertThat(events.get(0).changesEnvironment("production")).isTrue();
    assertThat(events.get(1).environment()).isNull();
    assertThat(events.get(1).isTagging(FlagTag.MANAGED)).isTrue();
    RecordedRequest request = server.takeRequest();
    assertThat(request.getUrl().queryParameter("feature")).isEqualTo("IS:f");
    assertThat(request.getUrl().queryParameter("limit")).isEqualTo("100");
  }

  @Test
  void escapesNamesAndRefusesOnesThatWouldChangeThePath() throws Exception {
    server.enqueue(json(200, "{\"name\":\"a b\",\"environments\":[]}"));
    client.getFlag("default", "a b");
    assertThat(server.takeRequest().getUrl().encodedPath()).endsWith("/features/a%20b");

    for (String bad : new String[] {"../x", "..", ".", ""}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.getFlag("default", bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static MockResponse json(int status, String body) {
    return new MockResponse.Builder().code(status).addHeader("Content-Type", "application/json").body(body).build();
  }
}
