package dev.rollguard.connectors.source;

import dev.rollguard.connectors.UnleashConnection;
import dev.rollguard.connectors.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Streams Unleash flag state: one {@code FlagState} per flag and environment to the compacted topic
 * {@code rollout.flag-state}, re-published whenever Unleash's event log shows a change (by Rollguard or a human).
 * Projects are spread over the tasks; each project's source offset is the last event id seen.
 */
public final class UnleashSourceConnector extends SourceConnector {
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    new UnleashSourceConfig(props);
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return UnleashSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<String> projects = UnleashConnection.projects(new UnleashSourceConfig(props));
    int tasks = Math.min(maxTasks, projects.size());
    List<Map<String, String>> configs = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      List<String> mine = new ArrayList<>();
      for (int i = t; i < projects.size(); i += tasks) {
        mine.add(projects.get(i));
      }
      Map<String, String> config = new HashMap<>(props);
      config.put(UnleashConnection.PROJECTS, String.join(",", mine));
      configs.add(config);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return UnleashSourceConfig.CONFIG_DEF;
  }

  @Override
  public String version() {
    return Version.get();
  }
}
