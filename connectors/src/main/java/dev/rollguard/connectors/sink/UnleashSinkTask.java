package dev.rollguard.connectors.sink;

import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.connectors.UnleashConnection;
import dev.rollguard.connectors.Version;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.schemas.serde.SchemaRegistryException;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads each decision (Avro in the Confluent wire format; the connector runs with {@code ByteArrayConverter} and
 * decodes here, so a bad record reaches the dead-letter topic with its raw bytes and a reason), applies it with
 * {@link DecisionApplier} and publishes the outcome. Records that cannot succeed go to Connect's dead-letter topic
 * through the errant record reporter; an unavailable Unleash makes the whole batch retry with backoff.
 */
public final class UnleashSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(UnleashSinkTask.class);
  /** Set by {@link UnleashSinkConnector#taskConfigs} (not a user setting): the task's index, 0..tasks.max-1. */
  static final String TASK_INDEX = "rollguard.task.index";

  private final Clock clock;
  private UnleashSinkConfig config;
  private DecisionApplier applier;
  private SchemaRegistryClient registry;
  private AvroSerde<RolloutDecision> decisions;
  private OutcomePublisher outcomes;
  private ErrantRecordReporter deadLetters;
  private boolean dryRun;
  /** The last offset handled per partition: Connect re-delivers the same batch after a RetriableException. */
  private final Map<TopicPartition, Long> handled = new HashMap<>();
  private int failedAttempts;

  public UnleashSinkTask() {
    this(Clock.systemUTC());
  }

  UnleashSinkTask(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new UnleashSinkConfig(props);
    dryRun = config.getBoolean(UnleashSinkConfig.DRY_RUN);
    applier = new DecisionApplier(UnleashConnection.client(config), UnleashConnection.projects(config), dryRun);
    registry = SchemaRegistryClients.fromConfig(config.originals());
    decisions = new AvroSerde<>(RolloutDecision.class, registry, false, false);
    // One client.id per task, like Connect's connector-consumer-<name>-<task>.
    String clientId = "rollguard-applier-" + props.getOrDefault("name", "unleash-sink")
        + (props.containsKey(TASK_INDEX) ? "-" + props.get(TASK_INDEX) : "");
    outcomes = new OutcomePublisher(OutcomePublisher.producer(config, clientId),
        new AvroSerde<>(ApplyOutcome.class, registry, false, SchemaRegistryClients.autoRegister(config.originals())),
        config.getString(UnleashSinkConfig.OUTCOMES_TOPIC));
    try {
      deadLetters = context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      deadLetters = null; // a worker older than Kafka 2.6
    }
    if (deadLetters == null) {
      log.warn("no dead-letter reporting configured (errors.deadletterqueue.topic.name / errors.log.enable):"
          + " failed decisions are only logged and reported on {}", config.getString(UnleashSinkConfig.OUTCOMES_TOPIC));
    }
    log.atInfo().addKeyValue("unleash", config.getString(UnleashConnection.URL)).addKeyValue("dryRun", dryRun)
        .log("Unleash applier started");
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    for (SinkRecord record : records) {
      TopicPartition tp = new TopicPartition(record.topic(), record.kafkaPartition());
      Long last = handled.get(tp);
      if (last != null && record.kafkaOffset() <= last) {
        continue; // handled before a retry of this batch
      }
      handle(record);
      handled.put(tp, record.kafkaOffset());
    }
    failedAttempts = 0;
  }

  private void handle(SinkRecord record) {
    RolloutDecision decision = decode(record);
    if (decision == null) {
      return;
    }
    ApplyResult result;
    try {
      result = applier.apply(decision);
    } catch (UnleashUnavailableException e) {
      retryLater(decision, e.getMessage());
      return;
    }
    outcomes.publish(result.toOutcome(decision, clock.instant()));
    log(decision, result);
    if (result.deadLetter()) {
      deadLetter(record, result.reason());
    }
  }

  private RolloutDecision decode(SinkRecord record) {
    if (!(record.value() instanceof byte[] bytes)) {
      deadLetter(record, record.value() == null ? "empty record: a decision was expected"
          : "value is " + record.value().getClass().getSimpleName() + ", not bytes: configure value.converter="
              + "org.apache.kafka.connect.converters.ByteArrayConverter");
      return null;
    }
    try {
      return decisions.deserialize(record.topic(), bytes);
    } catch (SchemaRegistryException e) {
      if (e.isTransient()) {
        retryLater(null, "schema registry unavailable: " + e.getMessage());
      }
      throw new ConnectException("the schema registry refused a lookup: " + e.getMessage(), e);
    } catch (SerializationException e) {
      deadLetter(record, "not a RolloutDecision: " + e.getMessage());
      return null;
    }
  }

  /** Throws RetriableException: Connect waits the backoff set here, then re-delivers the batch. */
  private void retryLater(RolloutDecision decision, String why) {
    long initial = config.getLong(UnleashSinkConfig.RETRY_BACKOFF_MS);
    long max = config.getLong(UnleashSinkConfig.RETRY_BACKOFF_MAX_MS);
    long backoff = Math.min(max, initial << Math.min(failedAttempts, 20));
    failedAttempts++;
    context.timeout(backoff);
    log.atWarn().addKeyValue("decisionId", decision == null ? null : decision.getDecisionId())
        .addKeyValue("attempt", failedAttempts).addKeyValue("backoffMs", backoff)
        .log("Unleash unavailable, will retry: {}", why);
    throw new RetriableException(why);
  }

  private void deadLetter(SinkRecord record, String reason) {
    ApplierRejectedException error = new ApplierRejectedException(reason);
    if (deadLetters != null) {
      deadLetters.report(record, error);
    }
    log.atError().addKeyValue("topic", record.topic()).addKeyValue("partition", record.kafkaPartition())
        .addKeyValue("offset", record.kafkaOffset()).log("decision rejected: {}", reason);
  }

  private void log(RolloutDecision d, ApplyResult result) {
    var event = result.kind() == OutcomeKind.FAILED ? log.atError() : log.atInfo();
    event.addKeyValue("decisionId", d.getDecisionId()).addKeyValue("flag", d.getFlag())
        .addKeyValue("environment", d.getEnvironment()).addKeyValue("action", d.getAction())
        .addKeyValue("outcome", result.kind()).log(result.reason());
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    partitions.forEach(handled::remove);
  }

  @Override
  public void stop() {
    if (outcomes != null) {
      outcomes.close();
    }
    if (registry instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        log.warn("cannot close the schema registry client: {}", e.toString());
      }
    }
  }

  /** The reason a decision went to the dead-letter topic; Connect puts the message in the record's error headers. */
  static final class ApplierRejectedException extends ConnectException {
    ApplierRejectedException(String reason) {
      super(reason);
    }
  }
}
