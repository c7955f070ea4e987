package dev.rollguard.demo;

import dev.rollguard.advisor.AdvisorConfig;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.advisor.ModelCheck;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.connectors.UnleashConnection;
import dev.rollguard.connectors.unleash.FeatureFlag;
import dev.rollguard.connectors.unleash.UnleashResult;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.streams.config.StreamsAppConfig;
import dev.rollguard.streams.decisions.DecisionStage;
import dev.rollguard.streams.decisions.DecisionStageConfig;
import dev.rollguard.streams.windows.WindowsApp;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * {@code rollguard demo}: the whole closed loop in one process. Embedded Kafka and schema registry (fresh data in a
 * temporary directory every run), the windows topology, the decision stage, a Kafka Connect worker running the real
 * Unleash sink (applier, ENFORCE) and source (flag state), a flag store (a real Unleash, or the in-process stand-in),
 * and traffic for two flags whose split follows the flag store. Decisions and the applier's outcomes go to
 * {@code out}; progress goes to {@code err}. Everything started is closed in reverse order, whatever happens.
 */
public final class DemoRun {
  public static final String IMPRESSIONS = "flag.impressions";
  public static final String REQUEST_METRICS = "flag.request-metrics";
  public static final String WINDOW_STATS = "rollout.window-stats";
  public static final String DLQ = "rollout.dlq";
  public static final String DECISIONS = "rollout.decisions";
  public static final String APPLIED = "rollout.applied";
  public static final String FLAG_STATE = "rollout.flag-state";
  public static final String APPLIER_DLQ = "rollout.applier.dlq";

  /** The story: one healthy flag that should climb to 100%, one whose treatment regresses and should roll back. */
  static List<DemoFlag> flags(int regressAfterWindows) {
    return List.of(
        new DemoFlag("new-checkout", "/checkout",
            new TrafficProfile(0.010, 120, 320, 0.10),
            new TrafficProfile(0.009, 118, 315, 0.10),
            null, 0),
        new DemoFlag("search-ranking-v2", "/search",
            new TrafficProfile(0.010, 80, 250, 0.20),
            new TrafficProfile(0.010, 81, 252, 0.20),
            new TrafficProfile(0.090, 140, 700, 0.18),
            regressAfterWindows));
  }

  /** The judge's defaults but a 2-point conversion margin: a 10% arm of a few hundred users is that noisy. */
  static final String DEMO_POLICY = "demo-policy.json";
  private static final String DEMO_POLICY_DESCRIPTION = "the judge's defaults (plan 1, 5, 10, 25, 50, 75, 100; dwell 2"
      + " windows; cooldown 1) with a 2-point conversion margin for the demo's small arms";

  private final DemoOptions options;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Map<String, String> env;
  private final Deque<Named> started = new ArrayDeque<>();
  private final long startNanos = System.nanoTime();
  private final AtomicBoolean firstDecisionSeen = new AtomicBoolean();

  private record Named(String name, AutoCloseable closeable) {}

  private DemoRun(DemoOptions options, PrintWriter out, PrintWriter err, Map<String, String> env) {
    this.options = options;
    this.out = out;
    this.err = err;
    this.env = Map.copyOf(env);
  }

  /**
   * Runs until {@code stop} opens or the options' duration passes; returns the exit code.
   *
   * @param env the process environment (UNLEASH_*, LOCALAI_*)
   */
  public static int run(DemoOptions options, PrintWriter out, PrintWriter err, Map<String, String> env,
      CountDownLatch stop) {
    return new DemoRun(options, out, err, env).run(stop);
  }

  private int run(CountDownLatch stop) {
    try {
      FlagBackend backend = startEverything();
      if (options.duration() != null) {
        progress("running for " + human(options.duration()) + ".");
      } else {
        progress("running: press Ctrl-C to stop.");
      }
      boolean stopped = options.duration() == null ? await(stop, null) : await(stop, options.duration());
      progress(stopped ? "stopping (asked to)..." : "stopping (--duration reached)...");
      printFinalRollouts(backend);
      return 0;
    } catch (RuntimeException e) {
      progress("failed: " + LogText.clean(e.getMessage() == null ? e.toString() : e.getMessage()));
      if (!(e instanceof IllegalArgumentException || e instanceof IllegalStateException)) {
        // An unexpected failure: the stack trace is what a bug report needs.
        e.printStackTrace(err);
      }
      return 1;
    } finally {
      closeAll();
    }
  }

  private FlagBackend startEverything() {
    progress("starting (fresh temporary data: every run starts clean, nothing is kept)");
    Path dir = createTempDir();
    register("temporary data in " + dir, () -> deleteRecursively(dir));

    EmbeddedKafka kafka = register("the embedded Kafka broker", EmbeddedKafka.start(dir.resolve("kafka"), 0, true,
        Map.of()));
    progress("embedded Kafka broker (KRaft) ready at " + kafka.bootstrapServers());
    EmbeddedSchemaRegistry registry = register("the embedded schema registry", EmbeddedSchemaRegistry.start());
    progress("embedded schema registry ready at " + registry.url());
    kafka.createTopics(1, IMPRESSIONS, REQUEST_METRICS, WINDOW_STATS, DLQ, DECISIONS, APPLIED, APPLIER_DLQ);
    kafka.createTopics(1, Map.of("cleanup.policy", "compact"), FLAG_STATE);
    progress("topics created: " + String.join(", ", IMPRESSIONS, REQUEST_METRICS, WINDOW_STATS, DLQ, DECISIONS,
        APPLIED, APPLIER_DLQ) + " and compacted " + FLAG_STATE);

    FlagBackend backend = register("the flag store", FlagBackend.choose(env, dir, List.of("development",
        "production").contains(options.environment()) ? List.of("development", "production")
        : List.of("development", "production", options.environment())));
    progress("flags live in " + backend.description());
    List<DemoFlag> flags = flags(options.regressAfterWindows());
    for (DemoFlag flag : flags) {
      progress(LogText.clean(DemoFlagSetup.ensure(backend.client(), backend.project(), options.environment(),
          flag.name(), options.startPercent())));
    }

    AdvisorConfig advisorConfig = AdvisorConfig.fromEnv(env);
    LocalAiAdvisor advisor = null;
    if (advisorConfig.enabled()) {
      advisor = register("the LocalAI advisor", new LocalAiAdvisor(advisorConfig));
      ModelCheck check = advisor.checkModel();
      progress("advisor: LocalAI at " + advisorConfig.baseUrl() + ", model " + LogText.clean(advisorConfig.model())
          + " (" + check.status() + "); it chooses within what the rules allow");
    } else {
      progress("advisor: off (" + AdvisorConfig.ENV_URL + " is not set): the rules decide alone");
    }

    InProcessConnect connect = register("the Kafka Connect worker",
        InProcessConnect.start(kafka.bootstrapServers(), dir.resolve("connect.offsets")));
    connect.putConnector("rollguard-applier", applierConfig(kafka, registry, backend), Duration.ofSeconds(60));
    connect.putConnector("rollguard-flag-state", flagStateConfig(registry, backend), Duration.ofSeconds(60));
    progress("Kafka Connect worker (in process) running UnleashSinkConnector (applier, ENFORCE) and"
        + " UnleashSourceConnector (flag state -> " + FLAG_STATE + ")");

    SchemaRegistryClient registryClient = SchemaRegistryClients.fromConfig(registry.clientConfig());
    if (registryClient instanceof AutoCloseable c) {
      register("the schema registry client", c);
    }
    Map<String, String> common = new LinkedHashMap<>();
    common.put(StreamsAppConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    common.put(StreamsAppConfig.SCHEMA_REGISTRY_URL, registry.url());
    Map<String, String> windows = new LinkedHashMap<>(common);
    windows.put(StreamsAppConfig.WINDOW_SIZE, options.windowSize().toMillis() + "ms");
    windows.put(StreamsAppConfig.WINDOW_GRACE, options.grace().toMillis() + "ms");
    windows.put(StreamsAppConfig.WINDOW_CLOSE_CHECK_INTERVAL, "500ms");
    windows.put(StreamsAppConfig.STATE_DIR, dir.resolve("streams-windows").toString());
    WindowsApp windowsApp = register("the windows topology", WindowsApp.create(StreamsAppConfig.fromMap(windows),
        registryClient, new SimpleMeterRegistry()));
    windowsApp.start();
    progress("windows topology started (" + human(options.windowSize()) + " windows, " + human(options.grace())
        + " grace, closed by stream time and by the wall clock)");

    Map<String, String> decisions = new LinkedHashMap<>(common);
    decisions.put(DecisionStageConfig.STATE_DIR, dir.resolve("streams-decisions").toString());
    Path policy = options.policyFile() != null ? options.policyFile() : writeDemoPolicy(dir);
    decisions.put(DecisionStageConfig.POLICY_FILE, policy.toString());
    DecisionStage stage = register("the decision stage", DecisionStage.create(DecisionStageConfig.fromMap(decisions),
        registryClient, advisor, new SimpleMeterRegistry(), Clock.systemUTC()));
    stage.start();
    progress("decision stage started (policy: " + (options.policyFile() == null ? DEMO_POLICY_DESCRIPTION
        : options.policyFile().toString()) + ")");

    register("the decision printer", new DecisionPrinter(kafka.bootstrapServers(), registryClient, DECISIONS,
        APPLIED, out, this::firstDecision)).start();

    RolloutReader rollouts = register("the demo application's flag reader", new RolloutReader(backend.client(),
        backend.project(), options.environment(), flags.stream().map(DemoFlag::name).toList(),
        Duration.ofMillis(500)));
    TrafficGenerator traffic = register("the traffic generator", new TrafficGenerator(kafka.bootstrapServers(),
        registryClient, IMPRESSIONS, REQUEST_METRICS, flags, options.environment(), rollouts, options.windowSize(),
        options.usersPerWindow(), options.requestsPerUser(), Clock.systemUTC()));
    traffic.start();
    progress(String.format(Locale.ROOT, "traffic started: %,d users per window, %d requests each on /checkout"
        + " (new-checkout) and /search (search-ranking-v2); search-ranking-v2's treatment regresses after %d"
        + " windows", options.usersPerWindow(), options.requestsPerUser(), options.regressAfterWindows()));
    progress(String.format(Locale.ROOT, "ready %.1f s after start; the first decision comes when the first window"
        + " closes (%s + %s grace)", seconds(), human(options.windowSize()), human(options.grace())));
    return backend;
  }

  private Map<String, String> applierConfig(EmbeddedKafka kafka, EmbeddedSchemaRegistry registry,
      FlagBackend backend) {
    Map<String, String> c = new HashMap<>(backend.connectorToken());
    c.put("connector.class", "dev.rollguard.connectors.sink.UnleashSinkConnector");
    c.put("tasks.max", "1");
    c.put("topics", DECISIONS);
    c.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    c.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    c.put(UnleashConnection.URL, backend.url());
    c.put(UnleashConnection.PROJECTS, backend.project());
    c.put(UnleashConnection.SCHEMA_REGISTRY_URL, registry.url());
    c.put("outcomes.topic", APPLIED);
    c.put("outcomes.bootstrap.servers", kafka.bootstrapServers());
    c.put("applier.dry.run", "false");
    c.put("applier.retry.backoff.ms", "200");
    c.put("applier.retry.backoff.max.ms", "2000");
    // Rejected decisions go to a dead-letter topic, as in production; the outcome line says why.
    c.put("errors.tolerance", "all");
    c.put("errors.deadletterqueue.topic.name", APPLIER_DLQ);
    c.put("errors.deadletterqueue.topic.replication.factor", "1");
    c.put("errors.deadletterqueue.context.headers.enable", "true");
    return c;
  }

  private Map<String, String> flagStateConfig(EmbeddedSchemaRegistry registry, FlagBackend backend) {
    Map<String, String> c = new HashMap<>(backend.connectorToken());
    c.put("connector.class", "dev.rollguard.connectors.source.UnleashSourceConnector");
    c.put("tasks.max", "1");
    c.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    c.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    c.put(UnleashConnection.URL, backend.url());
    c.put(UnleashConnection.PROJECTS, backend.project());
    c.put(UnleashConnection.SCHEMA_REGISTRY_URL, registry.url());
    c.put("unleash.environments", options.environment());
    c.put("flag.state.topic", FLAG_STATE);
    // A change reaches the decision stage within a second, well before the window it affects closes.
    c.put("poll.interval.ms", "1000");
    return c;
  }

  private void firstDecision(RolloutDecision d) {
    if (firstDecisionSeen.compareAndSet(false, true)) {
      progress(String.format(Locale.ROOT, "first decision %.1f s after start", seconds()));
    }
  }

  private void printFinalRollouts(FlagBackend backend) {
    for (DemoFlag flag : flags(options.regressAfterWindows())) {
      UnleashResult<FeatureFlag> result = backend.client().getFlag(backend.project(), flag.name());
      String state = result instanceof UnleashResult.Ok<FeatureFlag> ok
          ? ok.value().environment(options.environment()).map(e -> (e.enabled() ? "on" : "OFF") + ", rollout "
              + e.flexibleRollout().map(s -> s.rolloutPercent() + "%").orElse("none")).orElse("no environment")
          : "unreadable";
      long changes = backend.isEmbedded() ? backend.store().events().stream()
          .filter(e -> flag.name().equals(e.path("featureName").asText())
              && FlagBackend.APPLIER_USER.equals(e.path("createdBy").asText())
              && e.path("type").asText().startsWith("feature-")).count() : -1;
      out.println("final  " + flag.name() + "  " + options.environment() + "  " + state
          + (changes >= 0 ? "  (" + changes + " change(s) by the applier in the flag store)" : ""));
    }
    out.flush();
  }

  // ---------------------------------------------------------------- lifecycle

  private <T extends AutoCloseable> T register(String name, T closeable) {
    started.push(new Named(name, closeable));
    return closeable;
  }

  /** Closes in reverse order of start; one failure does not stop the rest. */
  private void closeAll() {
    while (!started.isEmpty()) {
      Named n = started.pop();
      try {
        n.closeable().close();
      } catch (Exception e) {
        progress("could not stop " + n.name() + ": " + LogText.clean(e.toString()));
      }
    }
    progress(String.format(Locale.ROOT, "stopped after %.1f s", seconds()));
  }

  private static boolean await(CountDownLatch stop, Duration timeout) {
    try {
      if (timeout == null) {
        stop.await();
        return true;
      }
      return stop.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private void progress(String line) {
    err.println(String.format(Locale.ROOT, "[demo %5.1fs] %s", seconds(), line));
    err.flush();
  }

  private double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + " min";
    }
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }

  private static Path writeDemoPolicy(Path dir) {
    Path file = dir.resolve(DEMO_POLICY);
    try (var in = DemoRun.class.getResourceAsStream(DEMO_POLICY)) {
      if (in == null) {
        throw new IllegalStateException("the demo policy resource " + DEMO_POLICY + " is missing from the build");
      }
      Files.copy(in, file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path createTempDir() {
    try {
      return Files.createTempDirectory("rollguard-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
