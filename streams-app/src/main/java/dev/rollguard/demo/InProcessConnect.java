package dev.rollguard.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;

/**
 * A Kafka Connect standalone worker in this JVM running Rollguard's real Connect plugin (found through ServiceLoader
 * on the classpath), as a Connect cluster would run it in production. Secrets reach connector configs through
 * Connect's config providers ({@code ${file:...}}, {@code ${env:...}}), never as literals.
 */
final class InProcessConnect implements AutoCloseable {
  private final Connect<StandaloneHerder> connect;

  private InProcessConnect(Connect<StandaloneHerder> connect) {
    this.connect = connect;
  }

  static InProcessConnect start(String bootstrapServers, Path offsetsFile) {
    Map<String, String> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    props.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    props.put("offset.storage.file.filename", offsetsFile.toString());
    props.put("offset.flush.interval.ms", "1000");
    props.put("listeners", "http://127.0.0.1:0");
    // ServiceLoader discovery starts in about a second instead of scanning the classpath for several.
    props.put("plugin.discovery", "service_load");
    props.put("config.providers", "file,env");
    props.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
    props.put("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
    // Decisions are written under exactly-once: the applier must never act on an aborted one.
    props.put("consumer.isolation.level", "read_committed");
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    try {
      return new InProcessConnect(new ConnectStandalone().startConnect(props));
    } finally {
      Thread.currentThread().setContextClassLoader(before); // startConnect swaps it
    }
  }

  /** Creates a connector and waits until it and its tasks run. */
  void putConnector(String name, Map<String, String> config, Duration timeout) {
    Map<String, String> withName = new HashMap<>(config);
    withName.put("name", name);
    FutureCallback<Object> done = new FutureCallback<>();
    connect.herder().putConnectorConfig(name, withName, true, (error, result) -> done.onCompletion(error, result));
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create connector " + name + ": " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isRunning(name)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("connector " + name + " is not running after " + timeout + ": "
            + describe(name));
      }
      sleep(100);
    }
  }

  private boolean isRunning(String name) {
    try {
      ConnectorStateInfo status = connect.herder().connectorStatus(name);
      return "RUNNING".equals(status.connector().state()) && !status.tasks().isEmpty()
          && status.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private String describe(String name) {
    try {
      ConnectorStateInfo status = connect.herder().connectorStatus(name);
      StringBuilder s = new StringBuilder(status.connector().state());
      status.tasks().forEach(t -> s.append(", task ").append(t.id()).append(' ').append(t.state())
          .append(t.trace() == null ? "" : ": " + t.trace().lines().findFirst().orElse("")));
      return s.toString();
    } catch (RuntimeException e) {
      return "no status (" + e.getMessage() + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    connect.stop();
    connect.awaitStop();
  }
}
