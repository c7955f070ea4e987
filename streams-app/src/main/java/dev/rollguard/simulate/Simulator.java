package dev.rollguard.simulate;

import dev.rollguard.advisor.AdvisorConfig;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.judge.RolloutPolicy;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.Consumer;

/** Entry point of {@code rollguard simulate}: a scenario and the way decisions are taken, ready to run. */
public final class Simulator implements AutoCloseable {
  private final Scenario scenario;
  private final WindowDecider decider;

  private Simulator(Scenario scenario, WindowDecider decider) {
    this.scenario = scenario;
    this.decider = decider;
  }

  /** The rules decide, as in production with the advisor off. */
  public static Simulator rulesOnly(Scenario scenario) {
    return new Simulator(scenario, CoreDecider.rulesOnly(Simulation.policyFor(scenario)));
  }

  /**
   * The LocalAI advisor chooses within the rules' bounds; its settings come from {@code environment}
   * ({@link AdvisorConfig#fromEnv(Map)}).
   *
   * @throws IllegalArgumentException when no advisor is configured (LOCALAI_URL unset)
   */
  public static Simulator withAdvisor(Scenario scenario, Map<String, String> environment) {
    AdvisorConfig config = AdvisorConfig.fromEnv(environment);
    if (!config.enabled()) {
      throw new IllegalArgumentException("--advisor needs a LocalAI server: set " + AdvisorConfig.ENV_URL
          + " (and " + AdvisorConfig.ENV_MODEL + "); without --advisor the rules decide");
    }
    RolloutPolicy policy = Simulation.policyFor(scenario);
    String model = config.model() != null ? config.model() : "the server's default model";
    return new Simulator(scenario, CoreDecider.withAdvisor(policy, new LocalAiAdvisor(config),
        config.requestTimeout(), "the rules with the LocalAI advisor at " + config.baseUrl() + " (" + model + ")"));
  }

  public String describe() {
    return decider.describe();
  }

  /**
   * Runs the scenario.
   *
   * @param onDecision receives each decision as it is made
   * @param progress receives one line per window; may be null
   */
  public SimulationResult run(Consumer<SimulatedDecision> onDecision, PrintStream progress) {
    return new Simulation(scenario, decider, onDecision, progress).run();
  }

  @Override
  public void close() {
    decider.close();
  }
}
