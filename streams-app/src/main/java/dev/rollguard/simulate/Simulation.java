package dev.rollguard.simulate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.avro.Action;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.judge.FlagOverride;
import dev.rollguard.judge.RolloutPolicy;
import dev.rollguard.judge.WindowStatsMerger;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The closed loop: per window, each flag's traffic at its current rollout goes through the real windows topology; each
 * closed window goes to the {@link WindowDecider}; an ENFORCE decision changes the flag as the applier would in
 * Unleash, so the traffic of the next window follows it. ADVISORY decisions change nothing.
 *
 * <p>Simulated time starts at {@link #EPOCH}; window {@code w} is {@code [EPOCH + w × size, EPOCH + (w+1) × size)}.
 * Nothing reads the real clock, so the decisions (createdAt included) depend only on the scenario.
 */
public final class Simulation {
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
  /** Who the simulated applier's changes are attributed to in the flag state. */
  static final String APPLIER = "rollguard-simulate";
  /**
   * Users are split over this many independent drivers of the topology (by user index), fed in parallel; each flag's
   * partial windows are merged with the judge's {@link WindowStatsMerger} (counts add, sketches merge exactly).
   * Fixed, not the core count, so the output does not depend on the machine.
   */
  static final int SHARDS = 2;

  private final Scenario scenario;
  private final WindowDecider decider;
  private final Consumer<SimulatedDecision> onDecision;
  private final PrintStream progress;

  /**
   * @param onDecision called with each decision as soon as it is made, in window order, flags in emission order
   * @param progress where one line per window goes (a person watches it); may be null
   */
  Simulation(Scenario scenario, WindowDecider decider, Consumer<SimulatedDecision> onDecision,
                    PrintStream progress) {
    this.scenario = scenario;
    this.decider = decider;
    this.onDecision = onDecision;
    this.progress = progress;
  }

  /** The rollout policy a scenario implies: the default thresholds and plan, overridden per flag by its own. */
  public static RolloutPolicy policyFor(Scenario scenario) {
    ObjectMapper mapper = new ObjectMapper();
    List<FlagOverride> overrides = new ArrayList<>();
    for (Scenario.Flag flag : scenario.flags()) {
      ObjectNode plan = flag.plan() == null ? null : mapper.valueToTree(flag.plan());
      if (plan != null || flag.thresholds() != null) {
        overrides.add(new FlagOverride(flag.name(), flag.environment(), plan, flag.thresholds()));
      }
    }
    try {
      return new RolloutPolicy(null, null, List.of(), overrides);
    } catch (IllegalArgumentException e) {
      throw new InvalidScenarioException("thresholds: " + e.getMessage(), e);
    }
  }

  /** The flag as Unleash would have it before window 0: on, at startPercent, set at the simulation's start. */
  static FlagState initialState(Scenario.Flag flag) {
    return FlagState.newBuilder()
        .setFlag(flag.name())
        .setEnvironment(flag.environment())
        .setEnabled(true)
        .setRolloutPercent(flag.startPercent())
        .setStrategyId("simulated-" + flag.name())
        .setManaged(flag.managed())
        .setPaused(false)
        .setLastChangedBy("scenario")
        .setLastChangedAt(EPOCH)
        .setLastEventId(0L)
        .build();
  }

  /** What the applier's change does to the flag, seen by the next window's traffic and decision. */
  static FlagState apply(FlagState state, RolloutDecision decision) {
    if (decision.getMode() != Mode.ENFORCE || decision.getAction() == Action.HOLD) {
      return state;
    }
    FlagState.Builder next = FlagState.newBuilder(state)
        .setLastChangedBy(APPLIER)
        .setLastChangedAt(decision.getWindowEnd())
        .setLastEventId(state.getLastEventId() == null ? 1L : state.getLastEventId() + 1);
    if (decision.getAction() == Action.KILL) {
      // Unleash's kill switch turns the environment off; the strategy (and its percent) stays as it was.
      next.setEnabled(false);
    } else {
      next.setRolloutPercent(decision.getToPercent());
    }
    return next.build();
  }

  /** The share of users in treatment: the rollout percent while the flag is on, nobody while it is off. */
  static int servedPercent(FlagState state) {
    return state.getEnabled() && state.getRolloutPercent() != null ? state.getRolloutPercent() : 0;
  }

  public SimulationResult run() {
    long started = System.nanoTime();
    Duration windowSize = Duration.ofSeconds(scenario.windowSeconds());
    long windowMillis = windowSize.toMillis();
    Map<String, Scenario.Flag> flags = new LinkedHashMap<>();
    Map<String, TrafficGenerator> traffic = new LinkedHashMap<>();
    Map<String, FlagState> states = new LinkedHashMap<>();
    for (Scenario.Flag flag : scenario.flags()) {
      String key = key(flag.environment(), flag.name());
      flags.put(key, flag);
      traffic.put(key, new TrafficGenerator(flag, scenario.seed(), windowMillis));
      states.put(key, initialState(flag));
    }
    List<SimulatedDecision> decisions = new ArrayList<>();
    long requests = 0;
    long deadLettered = 0;
    List<TopologyHarness> shards = new ArrayList<>();
    ExecutorService executor = Executors.newFixedThreadPool(
        Math.min(SHARDS, Runtime.getRuntime().availableProcessors()), daemonThreads());
    try {
      for (int s = 0; s < SHARDS; s++) {
        shards.add(new TopologyHarness(windowSize, EPOCH));
      }
      for (int w = 0; w < scenario.windows(); w++) {
        long start = EPOCH.toEpochMilli() + w * windowMillis;
        long end = start + windowMillis;
        List<List<Routed>> perShard = new ArrayList<>();
        for (int s = 0; s < SHARDS; s++) {
          perShard.add(new ArrayList<>());
        }
        Map<String, TrafficGenerator.WindowTraffic> served = new LinkedHashMap<>();
        for (Map.Entry<String, TrafficGenerator> entry : traffic.entrySet()) {
          Scenario.Flag flag = flags.get(entry.getKey());
          TrafficGenerator.WindowTraffic t = entry.getValue().generate(w, start,
              servedPercent(states.get(entry.getKey())),
              request -> perShard.get(request.user() % SHARDS).add(new Routed(flag, request)));
          served.put(entry.getKey(), t);
          requests += t.requests();
        }
        List<String> lines = new ArrayList<>();
        for (FlagWindowStats closed : runWindow(executor, shards, perShard, end)) {
          String key = key(closed.getEnvironment(), closed.getFlag());
          if (!flags.containsKey(key) || closed.getWindowStart().toEpochMilli() != start) {
            throw new IllegalStateException("the topology emitted an unexpected window: " + key + " ["
                + closed.getWindowStart() + ", " + closed.getWindowEnd() + ") while closing window " + w);
          }
          RolloutDecision decision = decider.decide(closed, states.get(key));
          SimulatedDecision simulated = new SimulatedDecision(w, decision);
          decisions.add(simulated);
          onDecision.accept(simulated);
          states.put(key, apply(states.get(key), decision));
          lines.add(progressLine(closed.getFlag(), decision, served.get(key)));
        }
        if (progress != null) {
          progress.printf(Locale.ROOT, "window %d/%d %s  %s%n", w + 1, scenario.windows(),
              Instant.ofEpochMilli(start), lines.isEmpty() ? "no traffic: no window closed" : String.join("; ", lines));
        }
      }
      for (TopologyHarness shard : shards) {
        deadLettered += shard.deadLettered();
      }
    } finally {
      executor.shutdownNow();
      shards.forEach(TopologyHarness::close);
    }
    Map<String, FlagSummary> summaries = new LinkedHashMap<>();
    flags.forEach((key, flag) -> summaries.put(key, summarize(flag, states.get(key), decisions)));
    return new SimulationResult(decisions, summaries, requests, deadLettered,
        Duration.ofNanos(System.nanoTime() - started));
  }

  private static String progressLine(String flag, RolloutDecision d, TrafficGenerator.WindowTraffic t) {
    String move = switch (d.getAction()) {
      case INCREASE, ROLLBACK -> d.getFromPercent() + "% → " + d.getToPercent() + "%";
      case KILL -> d.getFromPercent() + "% → off";
      case HOLD -> "at " + d.getFromPercent() + "%";
    };
    return String.format(Locale.ROOT, "%s %s %s (%s, %,d req)", flag, d.getAction(), move,
        d.getMode() == Mode.ENFORCE ? "enforced" : "advisory", t == null ? 0 : t.requests());
  }

  private static FlagSummary summarize(Scenario.Flag flag, FlagState state, List<SimulatedDecision> decisions) {
    Map<Action, Integer> counts = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      counts.put(a, 0);
    }
    int enforced = 0;
    int firstRollback = -1;
    int firstKill = -1;
    for (SimulatedDecision d : decisions) {
      RolloutDecision decision = d.decision();
      if (!decision.getFlag().equals(flag.name()) || !decision.getEnvironment().equals(flag.environment())) {
        continue;
      }
      counts.merge(decision.getAction(), 1, Integer::sum);
      enforced += decision.getMode() == Mode.ENFORCE ? 1 : 0;
      if (decision.getAction() == Action.ROLLBACK && firstRollback < 0) {
        firstRollback = d.window();
      }
      if (decision.getAction() == Action.KILL && firstKill < 0) {
        firstKill = d.window();
      }
    }
    return new FlagSummary(flag.name(), flag.environment(), flag.startPercent(),
        state.getRolloutPercent() == null ? 0 : state.getRolloutPercent(), state.getEnabled(), counts, enforced,
        firstRollback, firstKill);
  }

  /** A request on its way to a shard, with the flag it was served under. */
  private record Routed(Scenario.Flag flag, TrafficGenerator.Request request) {}

  /**
   * Feeds each shard its share of the window in parallel, closes the window in all of them, and merges each flag's
   * partial windows in shard order. The result is in the topology's own emission order (by flag key).
   */
  private static List<FlagWindowStats> runWindow(ExecutorService executor, List<TopologyHarness> shards,
                                                 List<List<Routed>> perShard, long end) {
    List<Future<List<FlagWindowStats>>> futures = new ArrayList<>();
    for (int s = 0; s < shards.size(); s++) {
      TopologyHarness shard = shards.get(s);
      List<Routed> input = perShard.get(s);
      futures.add(executor.submit(() -> {
        shard.openWindow(end);
        for (Routed r : input) {
          shard.send(r.flag().environment(), r.flag().name(), r.request());
        }
        return shard.closeWindow(end);
      }));
    }
    Map<String, FlagWindowStats> merged = new TreeMap<>();
    for (Future<List<FlagWindowStats>> future : futures) {
      for (FlagWindowStats partial : join(future)) {
        merged.merge(key(partial.getEnvironment(), partial.getFlag()), partial, WindowStatsMerger::merge);
      }
    }
    return List.copyOf(merged.values());
  }

  private static <T> T join(Future<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a shard processed its window", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "simulate-shard-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static String key(String environment, String flag) {
    return environment + "/" + flag;
  }
}
