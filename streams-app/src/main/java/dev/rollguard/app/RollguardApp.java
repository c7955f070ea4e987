package dev.rollguard.app;

import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.advisor.ModelCheck;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.decisions.DecisionStage;
import dev.rollguard.streams.windows.WindowsApp;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Production mode: the windows topology and the decision stage against external Kafka, Schema Registry and (when
 * enabled) LocalAI. The Unleash connectors are not here: they run in a Kafka Connect cluster. Stops when asked, or
 * when either Kafka Streams application fails for good.
 */
public final class RollguardApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RollguardApp.class);

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final CountDownLatch failed = new CountDownLatch(1);
  private volatile String failure;

  private RollguardApp() {}

  /** Starts both stages; on a failure to start, closes what was started and rethrows. */
  public static RollguardApp start(RunConfig config, MeterRegistry meters) {
    RollguardApp app = new RollguardApp();
    try {
      app.startStages(config, meters);
      return app;
    } catch (RuntimeException e) {
      app.close();
      throw e;
    }
  }

  private void startStages(RunConfig config, MeterRegistry meters) {
    SchemaRegistryClient registry = SchemaRegistryClients.fromConfig(config.registryClientConfig());
    if (registry instanceof AutoCloseable c) {
      started.push(c);
    }
    LocalAiAdvisor advisor = null;
    if (config.advisor().enabled()) {
      advisor = new LocalAiAdvisor(config.advisor());
      started.push(advisor);
      ModelCheck check = advisor.checkModel();
      log.atInfo().addKeyValue("advisor", config.advisor().baseUrl()).addKeyValue("model", config.advisor().model())
          .addKeyValue("status", check.status()).log("LLM advisor enabled; decisions fall back to the rules whenever it fails");
    } else {
      log.info("LLM advisor disabled: decisions are made by the rules alone");
    }
    WindowsApp windows = WindowsApp.create(config.windows(), registry, meters);
    started.push(windows);
    watch(windows.streams(), "windows");
    DecisionStage decisions = DecisionStage.create(config.decisions(), registry, advisor, meters, Clock.systemUTC());
    started.push(decisions);
    watch(decisions.streams(), "decisions");
    windows.start();
    decisions.start();
    log.atInfo().addKeyValue("bootstrap.servers", config.windows().bootstrapServers())
        .addKeyValue("windows", config.windows().applicationId())
        .addKeyValue("decisions", config.decisions().applicationId())
        .log("rollguard running: windows topology and decision stage (the Unleash connectors run in Kafka Connect)");
  }

  private void watch(KafkaStreams streams, String stage) {
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.PENDING_ERROR) {
        failure = "the " + stage + " stage failed (Kafka Streams state " + now + ")";
        failed.countDown();
      }
    });
  }

  /**
   * Blocks until {@code stop} opens (true) or a stage fails (false).
   */
  public boolean awaitStopOrFailure(CountDownLatch stop) throws InterruptedException {
    while (true) {
      if (stop.await(500, TimeUnit.MILLISECONDS)) {
        return true;
      }
      if (failed.getCount() == 0) {
        return false;
      }
    }
  }

  public String failure() {
    return failure;
  }

  /** Closes in reverse order of start. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable c = started.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.warn("cannot close {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
