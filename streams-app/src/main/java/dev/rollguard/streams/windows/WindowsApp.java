package dev.rollguard.streams.windows;

import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.config.StreamsAppConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the windows topology: wires configuration, registry, metrics and Kafka Streams, nothing else. */
public final class WindowsApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WindowsApp.class);

  private final KafkaStreams streams;
  private final WindowsMetrics metrics;
  private final KafkaStreamsMetrics streamsMetrics;

  private WindowsApp(KafkaStreams streams, WindowsMetrics metrics) {
    this.streams = streams;
    this.metrics = metrics;
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(metrics.registry());
  }

  /** The windows stage, registering its output schemas on first write (Confluent's default). */
  public static WindowsApp create(StreamsAppConfig config, SchemaRegistryClient registry, MeterRegistry meters) {
    return create(config, registry, true, meters);
  }

  /** With {@code autoRegister} false, the output schemas must already be registered under their subjects. */
  public static WindowsApp create(StreamsAppConfig config, SchemaRegistryClient registry, boolean autoRegister,
      MeterRegistry meters) {
    WindowsSerdes serdes = WindowsSerdes.of(registry, autoRegister);
    WindowsMetrics metrics = new WindowsMetrics(meters);
    KafkaStreams streams = new KafkaStreams(WindowsTopology.buildTopology(config, serdes, metrics),
        WindowsTopology.streamsProperties(config, serdes, metrics));
    // A crashed stream thread is replaced; its tasks resume from the last committed transaction.
    streams.setUncaughtExceptionHandler(e -> {
      log.atError().setCause(e).log("stream thread failed; replacing it");
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    return new WindowsApp(streams, metrics);
  }

  public WindowsApp start() {
    streams.start();
    return this;
  }

  public KafkaStreams streams() {
    return streams;
  }

  public WindowsMetrics metrics() {
    return metrics;
  }

  /**
   * Stops and leaves the consumer group, so the partitions move at once to the other instances (or to this one's
   * successor) instead of after the session timeout (45 s): the state is in memory, nothing is kept by staying.
   */
  @Override
  public void close() {
    streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(Duration.ofSeconds(30)));
    streamsMetrics.close();
  }

  /** {@code WindowsApp [config.properties]}: the file is optional; ROLLGUARD_* variables override it. */
  public static void main(String[] args) throws InterruptedException {
    StreamsAppConfig config = StreamsAppConfig.load(args.length > 0 ? Path.of(args[0]) : null, System.getenv());
    SchemaRegistryClient registry = SchemaRegistryClients.fromConfig(
        Map.of(StreamsAppConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl()));
    CountDownLatch stopped = new CountDownLatch(1);
    try (WindowsApp app = create(config, registry, new SimpleMeterRegistry())) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        app.close();
        stopped.countDown();
      }, "rollguard-windows-shutdown"));
      app.start();
      log.atInfo().addKeyValue("application.id", config.applicationId())
          .addKeyValue("bootstrap.servers", config.bootstrapServers()).log("windows topology started");
      stopped.await();
    }
  }
}
