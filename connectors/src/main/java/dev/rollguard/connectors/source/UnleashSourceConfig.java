package dev.rollguard.connectors.source;

import dev.rollguard.connectors.UnleashConnection;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Configuration of {@link UnleashSourceConnector}; README.md lists every key. */
public final class UnleashSourceConfig extends AbstractConfig {
  public static final String ENVIRONMENTS = "unleash.environments";
  public static final String TOPIC = "flag.state.topic";
  public static final String POLL_INTERVAL_MS = "poll.interval.ms";

  public static final ConfigDef CONFIG_DEF = UnleashConnection.define(new ConfigDef())
      .define(ENVIRONMENTS, Type.LIST, "", Importance.MEDIUM,
          "Environments to publish; empty publishes every environment a flag has.",
          "Flag state", 1, ConfigDef.Width.LONG, "Environments")
      .define(TOPIC, Type.STRING, "rollout.flag-state", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Compacted topic for FlagState (Avro, Confluent wire format), keyed <environment>/<flag>; a flag that is"
              + " archived or deleted gets a tombstone.",
          "Flag state", 2, ConfigDef.Width.MEDIUM, "Flag state topic")
      .define(POLL_INTERVAL_MS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(100), Importance.MEDIUM,
          "How often to look at Unleash's event log. A poll with no new event costs one small request per project.",
          "Flag state", 3, ConfigDef.Width.SHORT, "Poll interval");

  public UnleashSourceConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
  }
}
