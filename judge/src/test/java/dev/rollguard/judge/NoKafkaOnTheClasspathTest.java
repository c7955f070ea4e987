package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The judge is reusable without Kafka (simulate, replay): kafka-clients must not leak onto its classpath. */
final class NoKafkaOnTheClasspathTest {
  @Test
  void kafkaClientsAreNotOnTheJudgesClasspath() {
    assertThatThrownBy(() -> Class.forName("org.apache.kafka.clients.producer.Producer"))
        .isInstanceOf(ClassNotFoundException.class);
  }
}
