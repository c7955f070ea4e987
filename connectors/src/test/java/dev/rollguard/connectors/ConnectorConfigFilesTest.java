package dev.rollguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.connectors.sink.UnleashSinkConnector;
import dev.rollguard.connectors.source.UnleashSourceConnector;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;
import org.junit.jupiter.api.Test;

/** The ready-to-POST configs in connectors/config/ name a real connector, pass its validation, and hold no secret. */
class ConnectorConfigFilesTest {

  @Test
  void theSinkConfigIsValidAndSendsFailuresToTheDeadLetterTopic() throws Exception {
    Map<String, String> config = read("unleash-sink.json");

    assertValid(new UnleashSinkConnector(), config);
    assertThat(config).containsEntry("errors.tolerance", "all")
        .containsEntry("errors.deadletterqueue.context.headers.enable", "true")
        .containsKey("errors.deadletterqueue.topic.name")
        .containsKey("errors.retry.timeout");
  }

  @Test
  void theSourceConfigIsValidAndWritesACompactedTopic() throws Exception {
    Map<String, String> config = read("unleash-source.json");

    assertValid(new UnleashSourceConnector(), config);
    assertThat(config).containsEntry("topic.creation.default.cleanup.policy", "compact");
  }

  private static Map<String, String> read(String file) throws Exception {
    JsonNode json = new ObjectMapper().readTree(Path.of("config", file).toFile());
    assertThat(json.path("name").asText()).isNotBlank();
    Map<String, String> config = new HashMap<>();
    json.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
    assertThat(config.get("connector.class")).isNotBlank();
    // Tokens come from a config provider at runtime, never as literals in the file.
    assertThat(config.get("unleash.token")).startsWith("${file:");
    return config;
  }

  private static void assertValid(Connector connector, Map<String, String> config) {
    assertThat(config.get("connector.class")).isEqualTo(connector.getClass().getName());
    Config result = connector.validate(config);
    for (ConfigValue value : result.configValues()) {
      assertThat(value.errorMessages()).as(value.name()).isEmpty();
    }
  }
}
