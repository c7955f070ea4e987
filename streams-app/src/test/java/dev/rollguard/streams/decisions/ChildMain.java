package dev.rollguard.streams.decisions;

import dev.rollguard.advisor.AdvisorConfig;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The decision stage in a child JVM, for the crash test. Arguments: bootstrap, registry URL, LLM URL, state dir,
 * commit.interval.ms, application id, then the window-stats, flag-state, decisions and dead-letter topics.
 */
public final class ChildMain {
  private ChildMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> m = new HashMap<>();
    m.put(DecisionStageConfig.BOOTSTRAP_SERVERS, args[0]);
    m.put(DecisionStageConfig.SCHEMA_REGISTRY_URL, args[1]);
    m.put(DecisionStageConfig.STATE_DIR, args[3]);
    m.put("decisions.kafka.commit.interval.ms", args[4]);
    m.put(DecisionStageConfig.APPLICATION_ID, args[5]);
    m.put(DecisionStageConfig.TOPIC_WINDOW_STATS, args[6]);
    m.put(DecisionStageConfig.TOPIC_FLAG_STATE, args[7]);
    m.put(DecisionStageConfig.TOPIC_DECISIONS, args[8]);
    m.put(DecisionStageConfig.TOPIC_DLQ, args[9]);
    m.put(DecisionStageConfig.ADVISOR_CALL_TIMEOUT, "PT3S");
    m.put("decisions.kafka.max.poll.interval.ms", "30000");
    m.put("decisions.kafka.session.timeout.ms", "6000");
    m.put("decisions.kafka.heartbeat.interval.ms", "1000");
    DecisionStageConfig config = DecisionStageConfig.fromMap(m);
    LocalAiAdvisor advisor = new LocalAiAdvisor(AdvisorConfig.builder().enabled(true).baseUrl(args[2])
        .model(LocalAi.MODEL).connectTimeout(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(3)).build());
    DecisionStage stage = DecisionStage.create(config,
        SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", args[1])), advisor, new SimpleMeterRegistry(),
        Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    stage.streams().setStateListener((next, old) -> {
      if (next == KafkaStreams.State.ERROR || next == KafkaStreams.State.NOT_RUNNING) {
        stopped.countDown();
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stage.close();
      advisor.close();
    }));
    stage.start();
    stopped.await();
  }
}
