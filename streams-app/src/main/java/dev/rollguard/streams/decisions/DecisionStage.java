package dev.rollguard.streams.decisions;

import dev.rollguard.advisor.Advisor;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.judge.RolloutPolicy;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision stage, running: what {@code rollguard run} and {@code demo} start. Owns its KafkaStreams (not the
 * advisor, which the caller closes).
 */
public final class DecisionStage implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DecisionStage.class);

  private final KafkaStreams streams;
  private final DecisionMetrics metrics;

  private DecisionStage(KafkaStreams streams, DecisionMetrics metrics) {
    this.streams = streams;
    this.metrics = metrics;
  }

  /**
   * Builds the core (policy from {@code decisions.policy.file}, the advisor with the config's call timeout and a
   * wait budget of max.poll.interval/8) and the topology, without starting.
   *
   * @param advisor null for rules only
   */
  public static DecisionStage create(DecisionStageConfig config, SchemaRegistryClient registry, Advisor advisor,
                                     MeterRegistry meters, Clock clock) {
    return create(config, registry, true, advisor, meters, clock);
  }

  /** With {@code autoRegister} false, the output schemas must already be registered under their subjects. */
  public static DecisionStage create(DecisionStageConfig config, SchemaRegistryClient registry, boolean autoRegister,
                                     Advisor advisor, MeterRegistry meters, Clock clock) {
    RolloutPolicy policy = config.policyFile().isEmpty() ? RolloutPolicy.defaults()
        : RolloutPolicy.load(Path.of(config.policyFile()));
    DecisionCore core = new DecisionCore(policy, advisor, config.advisorCallTimeout(),
        new AdvisorWaitBudget(config.advisorWaitBudget()), clock);
    if (advisor instanceof LocalAiAdvisor l && l.config().enabled()
        && l.config().requestTimeout().compareTo(config.advisorCallTimeout()) > 0) {
      log.atWarn().addKeyValue("requestTimeout", l.config().requestTimeout())
          .addKeyValue("callTimeout", config.advisorCallTimeout())
          .log("the advisor's request timeout is longer than the decision's call timeout: slow calls go on in the "
              + "background, holding a concurrency permit, after the rules have decided");
    }
    log.atInfo().addKeyValue("applicationId", config.applicationId())
        .addKeyValue("advisor", core.advisorEnabled() ? "on" : "off (rules only)")
        .addKeyValue("callTimeout", config.advisorCallTimeout())
        .addKeyValue("waitBudget", config.advisorWaitBudget())
        .addKeyValue("maxPollInterval", config.maxPollInterval())
        .log("decision stage configured");
    DecisionMetrics metrics = new DecisionMetrics(meters);
    DecisionSerdes serdes = DecisionSerdes.of(registry, autoRegister);
    KafkaStreams streams = new KafkaStreams(DecisionTopology.buildTopology(config, serdes, core, metrics, clock),
        DecisionTopology.streamsProperties(config, serdes, metrics));
    return new DecisionStage(streams, metrics);
  }

  public DecisionStage start() {
    streams.start();
    return this;
  }

  public KafkaStreams streams() {
    return streams;
  }

  public DecisionMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
