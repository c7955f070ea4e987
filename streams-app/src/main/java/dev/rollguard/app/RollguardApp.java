package dev.rollguard.app;

import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.advisor.ModelCheck;
import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.decisions.DecisionStage;
import dev.rollguard.streams.windows.WindowsApp;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
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
    boolean autoRegister = config.autoRegisterSchemas();
    if (!autoRegister) {
      requireOutputSchemas(registry, config);
    }
    WindowsApp windows = WindowsApp.create(config.windows(), registry, autoRegister, meters);
    started.push(windows);
    watch(windows.streams(), "windows");
    DecisionStage decisions = DecisionStage.create(config.decisions(), registry, autoRegister, advisor, meters,
        Clock.systemUTC());
    started.push(decisions);
    watch(decisions.streams(), "decisions");
    windows.start();
    decisions.start();
    log.atInfo().addKeyValue("bootstrap.servers", config.windows().bootstrapServers())
        .addKeyValue("windows", config.windows().applicationId())
        .addKeyValue("decisions", config.decisions().applicationId())
        .log("rollguard running: windows topology and decision stage (the Unleash connectors run in Kafka Connect)");
  }

  /**
   * With {@code auto.register.schemas=false} (a registry where only CI may register), every subject the stages write
   * must already hold Rollguard's schema. Checked here, before anything starts, so a missing registration is one
   * clear error at start instead of a stream thread failing at its first output record.
   */
  static void requireOutputSchemas(SchemaRegistryClient registry, RunConfig config) {
    Map<String, Schema> outputs = new LinkedHashMap<>();
    outputs.put(AvroSerde.subject(config.windows().windowStatsTopic(), false), FlagWindowStats.getClassSchema());
    outputs.put(AvroSerde.subject(config.windows().deadLetterTopic(), false), DeadLetter.getClassSchema());
    outputs.put(AvroSerde.subject(config.decisions().decisionsTopic(), false), RolloutDecision.getClassSchema());
    outputs.put(AvroSerde.subject(config.decisions().deadLetterTopic(), false), DeadLetter.getClassSchema());
    List<String> missing = new ArrayList<>();
    outputs.forEach((subject, schema) -> {
      try {
        registry.lookup(subject, schema);
      } catch (SchemaRegistryClient.SchemaNotFoundException e) {
        missing.add(subject + " (" + schema.getFullName() + ")");
      }
    });
    if (!missing.isEmpty()) {
      throw new IllegalStateException(RunConfig.REGISTRY_AUTO_REGISTER + " is false, but the registry does not hold "
          + "Rollguard's schema under " + String.join(", ", missing) + ": register schemas/src/main/avro's schemas "
          + "under these subjects first, or set " + RunConfig.REGISTRY_AUTO_REGISTER + "=true");
    }
    log.atInfo().addKeyValue("subjects", outputs.keySet())
        .log("auto-registration off: every output subject holds Rollguard's schema");
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
