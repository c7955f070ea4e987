package dev.rollguard.cli;

import dev.rollguard.app.RollguardApp;
import dev.rollguard.app.RunConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rollguard run --config FILE}: production mode against external Kafka, Schema Registry and LocalAI. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Production mode: the windows topology and the decision stage against external Kafka, Schema Registry and "
            + "LocalAI.",
        "",
        "The Unleash connectors (applier, flag state) run in your Kafka Connect cluster, not here. Every setting "
            + "comes from the file and can be overridden by ROLLGUARD_<KEY> (the key upper-cased, . and - as _); "
            + "README.md, section Configuration, lists them all.",
        ""})
final class RunCommand implements Callable<Integer> {
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(60);

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "Properties file (see config/rollguard.example.properties).")
  Path config;

  @Option(names = "--print-config", description = "Print the effective settings (secrets masked) and exit.")
  boolean printConfig;

  /** The environment the settings are read from; tests replace it. */
  Map<String, String> environmentVariables = System.getenv();

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RunConfig settings;
    try {
      settings = RunConfig.load(config, environmentVariables);
    } catch (RuntimeException e) {
      err.println("rollguard run: invalid configuration: " + e.getMessage());
      return 2;
    }
    if (printConfig) {
      settings.describe().forEach(out::println);
      out.flush();
      return 0;
    }
    try (ShutdownSignal signal = ShutdownSignal.install("rollguard-run-shutdown", SHUTDOWN_WAIT);
         RollguardApp app = RollguardApp.start(settings, new SimpleMeterRegistry())) {
      err.println("rollguard run: windows topology and decision stage started against "
          + settings.windows().bootstrapServers() + " (the Unleash connectors run in Kafka Connect). Ctrl-C stops.");
      err.flush();
      if (!app.awaitStopOrFailure(signal.stopRequested())) {
        err.println("rollguard run: " + app.failure() + "; stopping");
        return 1;
      }
      return 0;
    }
  }
}
