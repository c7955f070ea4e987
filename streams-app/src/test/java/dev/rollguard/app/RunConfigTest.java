package dev.rollguard.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.schemas.serde.SchemaRegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {
  @TempDir
  Path tmp;

  private Path file(String content) throws IOException {
    Path f = tmp.resolve("rollguard.properties");
    Files.writeString(f, content);
    return f;
  }

  @Test
  void theFileConfiguresBothStagesAndTheEnvironmentOverridesIt() throws IOException {
    Path f = file("""
        bootstrap.servers=kafka-1:9092
        schema.registry.url=http://registry:8081
        window.size=30s
        topic.decisions=audit.decisions
        decisions.advisor.call-timeout=10s
        kafka.num.stream.threads=2
        decisions.kafka.max.poll.interval.ms=600000
        """);

    RunConfig config = RunConfig.load(f, Map.of(
        "ROLLGUARD_BOOTSTRAP_SERVERS", "kafka-2:9092",
        "ROLLGUARD_WINDOW_GRACE", "5s",
        "ROLLGUARD_KAFKA_COMMIT_INTERVAL_MS", "250",
        "UNRELATED", "ignored"));

    assertThat(config.windows().bootstrapServers()).isEqualTo("kafka-2:9092");
    assertThat(config.decisions().bootstrapServers()).isEqualTo("kafka-2:9092");
    assertThat(config.windows().windowSize()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.windows().windowGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.windows().kafka()).containsEntry("num.stream.threads", "2")
        .containsEntry("commit.interval.ms", "250");
    assertThat(config.decisions().kafka()).containsEntry("num.stream.threads", "2");
    assertThat(config.decisions().decisionsKafka()).containsEntry("max.poll.interval.ms", "600000");
    assertThat(config.windows().kafka()).doesNotContainKey("max.poll.interval.ms");
    assertThat(config.decisions().decisionsTopic()).isEqualTo("audit.decisions");
    assertThat(config.decisions().advisorCallTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.registryClientConfig()).containsEntry(SchemaRegistryConfig.URL, "http://registry:8081");
    assertThat(config.advisor().enabled()).isFalse();
  }

  @Test
  void defaultsApplyWithoutAFile() {
    RunConfig config = RunConfig.load(null, Map.of());

    assertThat(config.windows().bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(config.windows().applicationId()).isEqualTo("rollguard-windows");
    assertThat(config.decisions().applicationId()).isEqualTo("rollguard-decisions");
    assertThat(config.decisions().flagStateTopic()).isEqualTo("rollout.flag-state");
  }

  @Test
  void everyKeyHasItsVariableByOneRule() {
    assertThat(RunConfig.environmentVariable("window.close-check-interval"))
        .isEqualTo("ROLLGUARD_WINDOW_CLOSE_CHECK_INTERVAL");
    assertThat(RunConfig.environmentVariable("schema.registry.basic.auth.user.info"))
        .isEqualTo("ROLLGUARD_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO");
    assertThat(RunConfig.environmentVariable("advisor.api-key")).isEqualTo("ROLLGUARD_ADVISOR_API_KEY");
    // Every documented key is read back from its variable.
    for (String key : RunConfig.defaults().keySet()) {
      assertThat(RunConfig.fromEnvironment(Map.of(RunConfig.environmentVariable(key), "x"))).containsKey(key);
    }
  }

  @Test
  void anUnknownKeyIsRefusedRatherThanIgnored() throws IOException {
    Path f = file("window.sise=30s\n");
    assertThatThrownBy(() -> RunConfig.load(f, Map.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("window.sise");
  }

  @Test
  void secretsComeFromTheEnvironmentOrFilesAndNeverShowInToString() throws IOException {
    Path userInfo = tmp.resolve("registry-user-info");
    Files.writeString(userInfo, "rollguard:registry-s3cret\n");
    Path apiKey = tmp.resolve("localai-key");
    Files.writeString(apiKey, "sk-localai-s3cret");
    Path f = file("""
        schema.registry.url=https://registry:8081
        advisor.url=http://localai:8080
        advisor.model=qwen2.5-7b-instruct
        kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password="kafka-s3cret";
        """);

    RunConfig config = RunConfig.load(f, Map.of(
        "ROLLGUARD_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE", userInfo.toString(),
        "ROLLGUARD_ADVISOR_API_KEY_FILE", apiKey.toString(),
        "ROLLGUARD_SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD", "trust-s3cret"));

    assertThat(config.registryClientConfig())
        .containsEntry("schema.registry.basic.auth.user.info", "rollguard:registry-s3cret")
        .containsEntry(SchemaRegistryConfig.SSL_TRUSTSTORE_PASSWORD, "trust-s3cret");
    assertThat(config.advisor().enabled()).isTrue();
    assertThat(config.advisor().apiKey()).isEqualTo("sk-localai-s3cret");
    String shown = config + "\n" + String.join("\n", config.describe()) + "\n" + config.advisor();
    assertThat(shown).doesNotContain("s3cret");
    assertThat(shown).contains("schema.registry.basic.auth.user.info = [hidden]")
        .contains("kafka.sasl.jaas.config = [hidden]")
        .contains("advisor.model = qwen2.5-7b-instruct");
  }

  @Test
  void aSecretGivenBothAsValueAndFileIsRefused() throws IOException {
    Path key = tmp.resolve("key");
    Files.writeString(key, "k");
    assertThatThrownBy(() -> RunConfig.load(null, Map.of("ROLLGUARD_ADVISOR_API_KEY", "k",
        "ROLLGUARD_ADVISOR_API_KEY_FILE", key.toString())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
  }

  @Test
  void anUnreadableSecretFileIsNamedButItsContentsNeverShown() {
    Path missing = tmp.resolve("missing-key");
    assertThatThrownBy(() -> RunConfig.load(null, Map.of("ROLLGUARD_ADVISOR_API_KEY_FILE", missing.toString())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());
  }

  @Test
  void localAiVariablesWorkAndRollguardAdvisorKeysWinOverThem() {
    RunConfig fromLocalAi = RunConfig.load(null, Map.of("LOCALAI_URL", "http://localai:8080",
        "LOCALAI_MODEL", "phi-3"));
    assertThat(fromLocalAi.advisor().enabled()).isTrue();
    assertThat(fromLocalAi.advisor().baseUrl()).isEqualTo("http://localai:8080");

    RunConfig overridden = RunConfig.load(null, Map.of("LOCALAI_URL", "http://localai:8080",
        "LOCALAI_MODEL", "phi-3", "ROLLGUARD_ADVISOR_MODEL", "qwen", "ROLLGUARD_ADVISOR_ENABLED", "false"));
    assertThat(overridden.advisor().model()).isEqualTo("qwen");
    assertThat(overridden.advisor().enabled()).isFalse();
  }

  @Test
  void theExampleFileLoads() {
    Path example = Path.of("..", "config", "rollguard.example.properties");
    RunConfig config = RunConfig.load(example, Map.of());
    assertThat(config.windows().bootstrapServers()).isNotBlank();
  }

  @Test
  void theReadmeTableDocumentsEveryKeyWithItsVariable() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (String key : RunConfig.defaults().keySet()) {
      assertThat(readme).as(key).contains("| `" + key + "`").contains("`" + RunConfig.environmentVariable(key) + "`");
    }
  }

  @Test
  void autoRegistrationIsOnByDefaultAndCanBeTurnedOffFromTheEnvironment() {
    assertThat(RunConfig.load(null, Map.of()).autoRegisterSchemas()).isTrue();
    RunConfig off = RunConfig.load(null, Map.of("ROLLGUARD_SCHEMA_REGISTRY_AUTO_REGISTER_SCHEMAS", "false"));
    assertThat(off.autoRegisterSchemas()).isFalse();
    assertThatThrownBy(() -> RunConfig.load(null, Map.of("ROLLGUARD_SCHEMA_REGISTRY_AUTO_REGISTER_SCHEMAS", "no")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be true or false");
  }

  @Test
  void anExplicitlyEmptyHostnameAlgorithmReachesTheRegistryClient() {
    RunConfig config = RunConfig.load(null, Map.of("ROLLGUARD_SCHEMA_REGISTRY_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", ""));
    assertThat(config.registryClientConfig()).containsEntry(SchemaRegistryConfig.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM, "");
    assertThat(RunConfig.load(null, Map.of()).registryClientConfig())
        .doesNotContainKey(SchemaRegistryConfig.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM);
  }
}
