package dev.rollguard.connectors.sink;

import dev.rollguard.connectors.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * The applier: consumes {@code rollout.decisions} and applies ENFORCE decisions on managed flags through Unleash's
 * Admin API, publishing one outcome per decision to {@code rollout.applied}. See {@link DecisionApplier}.
 */
public final class UnleashSinkConnector extends SinkConnector {
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    new UnleashSinkConfig(props);
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return UnleashSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    // Decisions are keyed by flag and environment, so partitions spread flags over tasks without overlap.
    // Each task gets its index, so that its outcomes producer has a client.id of its own (as Connect's own
    // per-task clients do): tasks sharing one client.id hide each other's producer metrics in JMX.
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      Map<String, String> config = new HashMap<>(props);
      config.put(UnleashSinkTask.TASK_INDEX, Integer.toString(i));
      configs.add(config);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return UnleashSinkConfig.CONFIG_DEF;
  }

  @Override
  public String version() {
    return Version.get();
  }
}
