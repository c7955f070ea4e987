package dev.rollguard.connectors.it;

import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;

/**
 * A Kafka Connect standalone worker in this JVM, finding the connectors on the test classpath through ServiceLoader
 * ({@link StockWorker} checks the packaged plugin in a worker of its own). Source offsets live in a file, so a
 * second worker on the same file resumes where the first stopped.
 */
public final class ConnectWorker implements AutoCloseable {
  private final Connect<StandaloneHerder> connect;

  private ConnectWorker(Connect<StandaloneHerder> connect) {
    this.connect = connect;
  }

  public static ConnectWorker start(String bootstrapServers, Path offsetsFile) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("offset.storage.file.filename", offsetsFile.toString());
    props.put("offset.flush.interval.ms", "500");
    props.put("listeners", "http://127.0.0.1:0");
    props.put("plugin.discovery", "service_load");
    // Secrets reach connector configs through config providers, as in production.
    props.put("config.providers", "file,env");
    props.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
    props.put("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    try {
      return new ConnectWorker(new ConnectStandalone().startConnect(props));
    } finally {
      Thread.currentThread().setContextClassLoader(before); // startConnect swaps it
    }
  }

  /** Creates or replaces a connector and waits until it and its tasks run. */
  public void putConnector(String name, Map<String, String> config) {
    Map<String, String> withName = new HashMap<>(config);
    withName.put("name", name);
    FutureCallback<Object> done = new FutureCallback<>();
    connect.herder().putConnectorConfig(name, withName, true, (error, result) -> done.onCompletion(error, result));
    try {
      done.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create connector " + name, e);
    }
    await("connector " + name + " running").atMost(Duration.ofSeconds(30)).until(() -> isRunning(name));
  }

  public void deleteConnector(String name) {
    FutureCallback<Object> done = new FutureCallback<>();
    connect.herder().deleteConnectorConfig(name, (error, result) -> done.onCompletion(error, result));
    try {
      done.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot delete connector " + name, e);
    }
  }

  public ConnectorStateInfo status(String name) {
    return connect.herder().connectorStatus(name);
  }

  private boolean isRunning(String name) {
    try {
      ConnectorStateInfo status = status(name);
      return "RUNNING".equals(status.connector().state()) && !status.tasks().isEmpty()
          && status.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Records a sink task has read from Kafka so far (Connect's sink-record-read-total metric, via JMX). */
  public static double sinkRecordsRead(String connector) {
    try {
      var server = ManagementFactory.getPlatformMBeanServer();
      double total = 0;
      for (ObjectName name : server.queryNames(new ObjectName("kafka.connect:type=sink-task-metrics,*"), null)) {
        if (connector.equals(ObjectName.unquote(quoted(name.getKeyProperty("connector"))))) {
          total += ((Number) server.getAttribute(name, "sink-record-read-total")).doubleValue();
        }
      }
      return total;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Records one task of a sink connector has read from Kafka so far (0 before the task's metrics exist). */
  public static double sinkRecordsRead(String connector, int task) {
    try {
      var server = ManagementFactory.getPlatformMBeanServer();
      double total = 0;
      for (ObjectName name : server.queryNames(new ObjectName("kafka.connect:type=sink-task-metrics,*"), null)) {
        if (connector.equals(ObjectName.unquote(quoted(name.getKeyProperty("connector"))))
            && Integer.toString(task).equals(ObjectName.unquote(quoted(name.getKeyProperty("task"))))) {
          total += ((Number) server.getAttribute(name, "sink-record-read-total")).doubleValue();
        }
      }
      return total;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String quoted(String value) {
    return value.startsWith("\"") ? value : ObjectName.quote(value);
  }

  @Override
  public void close() {
    connect.stop();
    connect.awaitStop();
  }
}
