package dev.rollguard.cli;

import dev.rollguard.avro.Action;
import dev.rollguard.simulate.DecisionJson;
import dev.rollguard.simulate.FlagSummary;
import dev.rollguard.simulate.InvalidScenarioException;
import dev.rollguard.simulate.Scenario;
import dev.rollguard.simulate.SimulationResult;
import dev.rollguard.simulate.Simulator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rollguard simulate SCENARIO.json}: a closed-loop, deterministic backtest of the real topology and decision
 * code on generated traffic. Decisions go to stdout (or {@code --out}) as JSON lines; progress and the summary go to
 * stderr, so the decisions can be piped.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Simulate rollouts closed-loop from a scenario file, through the real windows topology and "
        + "decision code, without a broker.",
        "Decisions: one JSON line each on stdout (or --out). Progress and summary: stderr.",
        "The scenario format is documented in docs/scenarios.md; examples are under scenarios/."})
final class SimulateCommand implements Callable<Integer> {
  static final int EXIT_INVALID = 2;
  static final int EXIT_FAILED = 1;

  @Parameters(index = "0", paramLabel = "SCENARIO.json", description = "The scenario file.")
  Path scenarioFile;

  @Option(names = "--out", paramLabel = "FILE", description = "Write the decisions to FILE instead of stdout.")
  Path out;

  @Option(names = "--advisor", description = "Let the LocalAI advisor choose within the rules' allowed actions "
      + "(LOCALAI_URL, LOCALAI_MODEL, LOCALAI_API_KEY[_FILE]). Without it, the rules decide. Advice is not "
      + "deterministic.")
  boolean advisor;

  private final PrintStream stdout;
  private final PrintStream stderr;
  private final Map<String, String> environment;

  SimulateCommand() {
    this(System.out, System.err, System.getenv());
  }

  /** For tests: the output streams and the environment (for the advisor's settings) are injected. */
  SimulateCommand(PrintStream stdout, PrintStream stderr, Map<String, String> environment) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.environment = environment;
  }

  @Override
  public Integer call() {
    Scenario scenario;
    Simulator simulator;
    try {
      scenario = Scenario.load(scenarioFile);
      simulator = advisor ? Simulator.withAdvisor(scenario, environment) : Simulator.rulesOnly(scenario);
    } catch (InvalidScenarioException e) {
      stderr.println("rollguard simulate: invalid scenario " + scenarioFile + ": " + e.getMessage());
      return EXIT_INVALID;
    } catch (IllegalArgumentException | IllegalStateException e) {
      stderr.println("rollguard simulate: " + e.getMessage());
      return EXIT_INVALID;
    }
    try (simulator; Writer decisions = openOutput()) {
      stderr.printf(Locale.ROOT, "Simulating %s: %d flag(s), %d windows of %d s, seed %d; decisions by %s.%n",
          scenarioFile, scenario.flags().size(), scenario.windows(), scenario.windowSeconds(), scenario.seed(),
          simulator.describe());
      if (scenario.description() != null) {
        stderr.println(scenario.description());
      }
      SimulationResult result = simulator.run(d -> write(decisions, DecisionJson.line(d)), stderr);
      decisions.flush();
      printSummary(result);
      return result.deadLettered() == 0 ? 0 : EXIT_FAILED;
    } catch (IOException | UncheckedIOException e) {
      stderr.println("rollguard simulate: cannot write the decisions: " + e.getMessage());
      return EXIT_FAILED;
    }
  }

  private Writer openOutput() throws IOException {
    if (out == null) {
      // Not closed with the writer: stdout belongs to the caller.
      return new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8)) {
        @Override
        public void close() throws IOException {
          flush();
        }
      };
    }
    return Files.newBufferedWriter(out, StandardCharsets.UTF_8);
  }

  private static void write(Writer writer, String line) {
    try {
      writer.write(line);
      writer.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void printSummary(SimulationResult result) {
    stderr.printf(Locale.ROOT, "%nSummary (%,d requests, %,d decisions, %.1f s):%n", result.requests(),
        result.decisions().size(), result.elapsed().toMillis() / 1000.0);
    for (FlagSummary f : result.flags().values()) {
      StringBuilder counts = new StringBuilder();
      for (Action a : Action.values()) {
        counts.append(counts.length() == 0 ? "" : ", ").append(a).append(' ').append(f.actions().get(a));
      }
      stderr.printf(Locale.ROOT, "  %s (%s): %d%% → %d%%%s; %s; %d enforced; first ROLLBACK %s, first KILL %s%n",
          f.flag(), f.environment(), f.startPercent(), f.finalPercent(), f.enabled() ? "" : " (off: killed)",
          counts, f.enforced(), window(f.firstRollbackWindow()), window(f.firstKillWindow()));
    }
    if (result.deadLettered() > 0) {
      stderr.printf(Locale.ROOT, "WARNING: the topology dead-lettered %,d simulated inputs: the simulation is "
          + "not faithful (a generator bug).%n", result.deadLettered());
    }
    if (out != null) {
      stderr.println("Decisions written to " + out + ".");
    }
  }

  private static String window(int w) {
    return w < 0 ? "never" : "at window " + w;
  }
}
