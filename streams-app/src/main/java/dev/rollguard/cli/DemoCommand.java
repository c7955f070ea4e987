package dev.rollguard.cli;

import dev.rollguard.demo.DemoOptions;
import dev.rollguard.demo.DemoRun;
import dev.rollguard.streams.config.Durations;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rollguard demo}: the whole closed loop on embedded services, with no external service needed. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "Run the whole closed loop in one process, on embedded services.",
        "",
        "Starts an embedded Kafka broker and schema registry (fresh data every run), the windows topology, the "
            + "decision stage, a Kafka Connect worker running the Unleash applier and flag-state source, and traffic "
            + "for two flags: new-checkout (healthy, climbs to 100%%) and search-ranking-v2 (regresses, rolled back).",
        "",
        "Flags live in the Unleash named by UNLEASH_URL and UNLEASH_ADMIN_TOKEN (or UNLEASH_ADMIN_TOKEN_FILE), else "
            + "in an in-process flag store. LOCALAI_URL and LOCALAI_MODEL turn the LLM advisor on. Decisions go to "
            + "stdout, progress to stderr. Ctrl-C stops everything.",
        ""})
final class DemoCommand implements Callable<Integer> {
  /** How long Ctrl-C waits for a clean stop before the JVM exits anyway. */
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(90);

  @Spec
  CommandSpec spec;

  @Option(names = "--duration", description = "Stop by itself this long after start-up (e.g. 3m, 90s); default: until Ctrl-C.")
  String duration;

  @Option(names = "--window", description = "Window size (default: ${DEFAULT-VALUE}).", defaultValue = "10s")
  String window;

  @Option(names = "--grace", description = "Window grace (default: ${DEFAULT-VALUE}).", defaultValue = "2s")
  String grace;

  @Option(names = "--users", description = "Users per window (default: ${DEFAULT-VALUE}).", defaultValue = "3000")
  int users;

  @Option(names = "--requests-per-user", description = "Requests per user and route in a window (default: "
      + "${DEFAULT-VALUE}).", defaultValue = "2")
  int requestsPerUser;

  @Option(names = "--start-percent", description = "Rollout of a newly created demo flag (default: ${DEFAULT-VALUE}).",
      defaultValue = "10")
  int startPercent;

  @Option(names = "--regress-after", description = "Windows of traffic before search-ranking-v2 regresses (default: "
      + "${DEFAULT-VALUE}).", defaultValue = "6")
  int regressAfter;

  @Option(names = "--environment", description = "Unleash environment (default: ${DEFAULT-VALUE}).",
      defaultValue = "production")
  String environment;

  @Option(names = "--policy", description = "Judge policy file (RolloutPolicy JSON); default: the demo policy (the"
      + " judge's defaults with a 2-point conversion margin).")
  Path policy;

  @Option(names = "--verbose", description = "Log Rollguard's own INFO lines and Kafka's warnings to stderr.")
  boolean verbose;

  /**
   * The demo's stderr is for progress lines: Kafka's start-up warnings and our per-decision INFO logs would bury them.
   * Takes effect only when no logger exists yet (the command line), not inside a test JVM that logged already.
   */
  private static void quietLogging() {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    System.setProperty("org.slf4j.simpleLogger.log.dev.rollguard", "warn");
    // Transactions v2 logs a retriable, self-healing sequence error at ERROR (KAFKA-18202).
    System.setProperty("org.slf4j.simpleLogger.log.kafka.server.ReplicaManager", "off");
  }

  /** The environment the demo reads (UNLEASH_*, LOCALAI_*); tests replace it. */
  Map<String, String> environmentVariables = System.getenv();

  @Override
  public Integer call() {
    if (!verbose) {
      quietLogging();
    }
    DemoOptions options = new DemoOptions(duration == null ? null : Durations.parse("--duration", duration),
        Durations.parse("--window", window), Durations.parse("--grace", grace), users, requestsPerUser, startPercent,
        regressAfter, environment, policy);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    // Ctrl-C: ask the run to stop, then hold the JVM until everything is closed (Connect and Streams need it).
    try (ShutdownSignal signal = ShutdownSignal.install("rollguard-demo-shutdown", SHUTDOWN_WAIT)) {
      return DemoRun.run(options, out, err, environmentVariables, signal.stopRequested());
    }
  }
}
