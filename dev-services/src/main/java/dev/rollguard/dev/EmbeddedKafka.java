package dev.rollguard.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, broker and controller in one) started in this JVM from the Maven jars.
 * For tests and {@code rollguard demo}; production runs a real cluster.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int BIND_ATTEMPTS = 5;

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path logDir;
  private final boolean deleteOnClose;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path logDir, boolean deleteOnClose) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.logDir = logDir;
    this.deleteOnClose = deleteOnClose;
  }

  /** Starts a broker on free ports with a temporary log directory, deleted on close. */
  public static EmbeddedKafka start() {
    try {
      return start(Files.createTempDirectory("rollguard-kafka"), 0, true, Map.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a broker keeping its data in {@code logDir} (a second start on the same directory resumes).
   *
   * @param port the client port, or 0 for a free one
   * @param overrides extra broker properties
   */
  public static EmbeddedKafka start(Path logDir, int port, boolean deleteOnClose, Map<String, String> overrides) {
    RuntimeException last = null;
    // Picking a free port and then binding it can race with another process: retry on bind failure.
    for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      int brokerPort = port != 0 ? port : freePort();
      int controllerPort = freePort();
      try {
        return startOnce(logDir, brokerPort, controllerPort, deleteOnClose, overrides);
      } catch (RuntimeException e) {
        last = e;
        log.warn("embedded Kafka failed to start on port {} (attempt {}): {}", brokerPort, attempt, e.toString());
        if (port != 0) {
          break;
        }
      }
    }
    throw last;
  }

  private static EmbeddedKafka startOnce(Path logDir, int brokerPort, int controllerPort, boolean deleteOnClose,
      Map<String, String> overrides) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.put("num.partitions", "1");
    // A single node: every internal topic must have replication factor 1, or consumer groups hang.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "5");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "5");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.cleaner.dedupe.buffer.size", "2097152");
    props.put("auto.create.topics.enable", "true");
    props.putAll(overrides);

    try {
      new Formatter()
          .setNodeId(1)
          .setClusterId(clusterId(logDir))
          .setDirectories(List.of(logDir.toString()))
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toString())
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setIgnoreFormatted(true)
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir, e);
    }

    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    String bootstrap = "127.0.0.1:" + brokerPort;
    try {
      server.startup();
      awaitReady(bootstrap, Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      shutdown(server);
      throw e;
    }
    log.info("embedded Kafka ready at {} (data in {})", bootstrap, logDir);
    return new EmbeddedKafka(server, bootstrap, logDir, deleteOnClose);
  }

  /** Reuses the cluster id written by an earlier format of the same directory, so a restart resumes. */
  private static String clusterId(Path logDir) {
    Path meta = logDir.resolve("meta.properties");
    if (Files.exists(meta)) {
      Properties p = new Properties();
      try (var in = Files.newInputStream(meta)) {
        p.load(in);
        String id = p.getProperty("cluster.id");
        if (id != null) {
          return id;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return Uuid.randomUuid().toString();
  }

  private static void awaitReady(String bootstrap, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      while (true) {
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("embedded Kafka not ready at " + bootstrap + " within " + timeout, e);
          }
          sleep(100);
        }
      }
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Creates topics (replication factor 1) if they do not exist yet. */
  public void createTopics(int partitions, String... topics) {
    createTopics(partitions, Map.of(), topics);
  }

  public void createTopics(int partitions, Map<String, String> topicConfig, String... topics) {
    List<NewTopic> newTopics = Stream.of(topics)
        .map(t -> new NewTopic(t, partitions, (short) 1).configs(topicConfig))
        .toList();
    try (Admin admin = admin()) {
      for (NewTopic t : newTopics) {
        try {
          admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + t.name(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out creating topics", e);
    }
  }

  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  @Override
  public void close() {
    shutdown(server);
    if (deleteOnClose) {
      deleteRecursively(logDir);
    }
  }

  private static void shutdown(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.warn("embedded Kafka shutdown: {}", e.toString());
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", dir, e.toString());
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

}
