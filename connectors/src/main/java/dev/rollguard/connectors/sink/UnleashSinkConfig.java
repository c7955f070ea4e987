package dev.rollguard.connectors.sink;

import dev.rollguard.connectors.UnleashConnection;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Configuration of {@link UnleashSinkConnector}; README.md lists every key. */
public final class UnleashSinkConfig extends AbstractConfig {
  public static final String DRY_RUN = "applier.dry.run";
  public static final String RETRY_BACKOFF_MS = "applier.retry.backoff.ms";
  public static final String RETRY_BACKOFF_MAX_MS = "applier.retry.backoff.max.ms";
  public static final String OUTCOMES_TOPIC = "outcomes.topic";
  public static final String OUTCOMES_BOOTSTRAP_SERVERS = "outcomes.bootstrap.servers";
  /** Any other producer setting for the outcomes producer (security, TLS), e.g. outcomes.producer.security.protocol. */
  public static final String OUTCOMES_PRODUCER_PREFIX = "outcomes.producer.";

  public static final ConfigDef CONFIG_DEF = UnleashConnection.define(new ConfigDef())
      .define(DRY_RUN, Type.BOOLEAN, false, Importance.HIGH,
          "Log and report (outcome DRY_RUN) what would be done, and change nothing in Unleash.",
          "Applier", 1, ConfigDef.Width.SHORT, "Dry run")
      .define(RETRY_BACKOFF_MS, Type.LONG, 1_000L, ConfigDef.Range.atLeast(10), Importance.LOW,
          "First wait before retrying a batch after Unleash answered 429/5xx or did not answer; doubles per attempt.",
          "Applier", 2, ConfigDef.Width.SHORT, "Retry backoff")
      .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 30_000L, ConfigDef.Range.atLeast(10), Importance.LOW,
          "Longest wait between retries. Unavailable Unleash is retried without limit: a decision is never dropped"
              + " because Unleash is down.",
          "Applier", 3, ConfigDef.Width.SHORT, "Retry backoff max")
      .define(OUTCOMES_TOPIC, Type.STRING, "rollout.applied", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Topic for ApplyOutcome events (Avro, Confluent wire format), keyed <environment>/<flag>.",
          "Outcomes", 1, ConfigDef.Width.MEDIUM, "Outcomes topic")
      .define(OUTCOMES_BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
          "Kafka bootstrap servers for the outcomes producer (a sink task cannot produce through Connect, so it"
              + " owns one producer). Settings prefixed " + OUTCOMES_PRODUCER_PREFIX + " are passed to it.",
          "Outcomes", 2, ConfigDef.Width.LONG, "Outcomes bootstrap servers");

  public UnleashSinkConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
  }
}
