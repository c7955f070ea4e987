package dev.rollguard.streams.decisions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

final class DecisionStageConfigTest {

  @Test
  void defaultsAreItsOwnApplicationAndTheContractTopics() {
    DecisionStageConfig c = DecisionStageConfig.defaults("broker:9092");
    assertThat(c.applicationId()).isEqualTo("rollguard-decisions");
    assertThat(c.windowStatsTopic()).isEqualTo("rollout.window-stats");
    assertThat(c.flagStateTopic()).isEqualTo("rollout.flag-state");
    assertThat(c.decisionsTopic()).isEqualTo("rollout.decisions");
    assertThat(c.advisorCallTimeout()).isEqualTo(Duration.ofSeconds(30));
    Properties p = c.streamsProperties();
    assertThat(p.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
    assertThat(c.maxPollInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.advisorWaitBudget()).isEqualTo(Duration.ofMillis(37_500));
    // commit.interval.ms (100 under EOS) + max.poll.interval.ms / 2 + 30 s
    assertThat(p.getProperty("producer.transaction.timeout.ms")).isEqualTo("180100");
  }

  @Test
  void environmentOverridesAndStageOnlyKafkaProperties() {
    DecisionStageConfig c = DecisionStageConfig.load(null, Map.of(
        "ROLLGUARD_DECISIONS_APPLICATION_ID", "d2",
        "ROLLGUARD_DECISIONS_ADVISOR_CALL_TIMEOUT", "10s",
        "ROLLGUARD_KAFKA_NUM_STREAM_THREADS", "2",
        "ROLLGUARD_DECISIONS_KAFKA_NUM_STREAM_THREADS", "3",
        "ROLLGUARD_WINDOW_SIZE", "PT10S",
        "LOCALAI_URL", "http://x"));
    assertThat(c.applicationId()).isEqualTo("d2");
    assertThat(c.advisorCallTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.streamsProperties().getProperty("num.stream.threads")).isEqualTo("3");
  }

  @Test
  void theWindowsStagesKeysAreIgnoredAndTyposRefused() {
    assertThat(DecisionStageConfig.fromMap(Map.of("window.size", "PT10S")).applicationId())
        .isEqualTo("rollguard-decisions");
    assertThatThrownBy(() -> DecisionStageConfig.fromMap(Map.of("decisions.advisor.calltimeout", "1s")))
        .hasMessageContaining("unknown configuration key");
  }

  @Test
  void aCallTimeoutThatCouldMissAPollIsRefused() {
    assertThatThrownBy(() -> DecisionStageConfig.fromMap(Map.of(
        "decisions.advisor.call-timeout", "PT40S")))
        .hasMessageContaining("max.poll.interval.ms / 8");
    DecisionStageConfig ok = DecisionStageConfig.fromMap(Map.of(
        "decisions.advisor.call-timeout", "PT40S", "decisions.kafka.max.poll.interval.ms", "600000"));
    assertThat(ok.advisorWaitBudget()).isEqualTo(Duration.ofSeconds(75));
  }

  @Test
  void aTransactionTimeoutTooShortForTheWaitIsRefused() {
    assertThatThrownBy(() -> DecisionStageConfig.fromMap(Map.of("kafka.producer.transaction.timeout.ms", "10000")))
        .hasMessageContaining("transaction.timeout.ms");
  }
}
