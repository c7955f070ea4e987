package dev.rollguard.streams.decisions;

import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.streams.windows.FlagKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The decision stage without Kafka, for {@code rollguard simulate} and replays: the same {@link DecisionCore}, with
 * each flag's {@link StepProgress} kept in memory instead of a changelogged store. Not thread-safe.
 */
public final class SynchronousDecisions {
  private final DecisionCore core;
  private final Map<String, StepProgress> progress = new HashMap<>();

  public SynchronousDecisions(DecisionCore core) {
    this.core = Objects.requireNonNull(core, "core");
  }

  /** Decides a closed window; empty when the window was already decided (a replay). */
  public Optional<RolloutDecision> onWindowClosed(FlagWindowStats window, FlagState state) {
    String key = new FlagKey(window.getEnvironment(), window.getFlag()).format();
    DecisionCore.Result result = core.decide(window, state, progress.get(key));
    progress.put(key, result.progress());
    return Optional.ofNullable(result.decision());
  }

  /** The progress of {@code "<environment>/<flag>"}, if seen. */
  public Optional<StepProgress> progress(String environment, String flag) {
    return Optional.ofNullable(progress.get(new FlagKey(environment, flag).format()));
  }
}
