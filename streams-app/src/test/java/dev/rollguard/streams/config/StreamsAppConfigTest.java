package dev.rollguard.streams.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class StreamsAppConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    StreamsAppConfig c = StreamsAppConfig.load(null, Map.of());
    assertThat(c.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(c.applicationId()).isEqualTo("rollguard-windows");
    assertThat(c.impressionsTopic()).isEqualTo("flag.impressions");
    assertThat(c.requestMetricsTopic()).isEqualTo("flag.request-metrics");
    assertThat(c.windowStatsTopic()).isEqualTo("rollout.window-stats");
    assertThat(c.deadLetterTopic()).isEqualTo("rollout.dlq");
    assertThat(c.windowSize()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.windowGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.closeCheckInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.maxFutureSkew()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.kafka()).isEmpty();
  }

  @Test
  void environmentOverridesTheFileWhichOverridesDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("rollguard.properties");
    Files.writeString(file, """
        window.size=10s
        window.grace=PT5S
        topic.request-metrics=metrics.v2
        kafka.num.stream.threads=2
        """);
    StreamsAppConfig c = StreamsAppConfig.load(file, Map.of(
        "ROLLGUARD_WINDOW_SIZE", "20s",
        "ROLLGUARD_TOPIC_DLQ", "dlq.v2",
        "ROLLGUARD_KAFKA_COMMIT_INTERVAL_MS", "200",
        "ROLLGUARD_ADVISOR_URL", "http://elsewhere",
        "PATH", "/bin"));
    assertThat(c.windowSize()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.windowGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.requestMetricsTopic()).isEqualTo("metrics.v2");
    assertThat(c.deadLetterTopic()).isEqualTo("dlq.v2");
    assertThat(c.kafka()).containsExactlyInAnyOrderEntriesOf(
        Map.of("num.stream.threads", "2", "commit.interval.ms", "200"));
  }

  @Test
  void environmentVariableNamesFollowTheKeys() {
    assertThat(StreamsAppConfig.environmentVariable("topic.request-metrics"))
        .isEqualTo("ROLLGUARD_TOPIC_REQUEST_METRICS");
    assertThat(StreamsAppConfig.environmentVariable("window.close-check-interval"))
        .isEqualTo("ROLLGUARD_WINDOW_CLOSE_CHECK_INTERVAL");
  }

  @Test
  void refusesUnknownKeysAndBadValues() {
    assertThatThrownBy(() -> StreamsAppConfig.fromMap(Map.of("window.sise", "1m")))
        .hasMessageContaining("unknown configuration key 'window.sise'");
    assertThatThrownBy(() -> StreamsAppConfig.fromMap(Map.of("window.size", "0s")))
        .hasMessageContaining("window.size must be > 0");
    assertThatThrownBy(() -> StreamsAppConfig.fromMap(Map.of("window.grace", "soon")))
        .hasMessageContaining("window.grace must be a duration");
    assertThatThrownBy(() -> StreamsAppConfig.fromMap(Map.of("topic.dlq", "flag.impressions")))
        .hasMessageContaining("distinct");
    assertThatThrownBy(() -> StreamsAppConfig.fromMap(Map.of("application.id", " ")))
        .hasMessageContaining("application.id must not be blank");
  }

  @Test
  void parsesShortAndIsoDurations() {
    assertThat(Durations.parse("k", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("k", "2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("k", "pt1m30s")).isEqualTo(Duration.ofSeconds(90));
  }
}
