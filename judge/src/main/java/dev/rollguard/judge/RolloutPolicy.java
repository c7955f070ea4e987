package dev.rollguard.judge;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The judge's whole configuration as the CLI loads it from a file: default thresholds and plan, per-flag overrides,
 * and the opt-in list. Only opted-in flags (this list, or the Unleash tag surfaced as {@code FlagState.managed}) get
 * ENFORCE verdicts.
 *
 * <pre>{@code
 * {
 *   "thresholds": {"alpha": 0.05, "minRequestsPerArm": 1000},
 *   "plan": {"steps": [1, 5, 10, 25, 50, 100], "minDwellWindows": 3},
 *   "managedFlags": ["new-checkout", "search-v2@production"],
 *   "overrides": [{"flag": "search-v2", "environment": "production", "plan": {"rollbackToPreviousStep": true},
 *                  "thresholds": {"noIncreaseP99Ms": 800}}]
 * }
 * }</pre>
 *
 * @param thresholds defaults for every flag
 * @param plan default plan for every flag
 * @param managedFlags opted-in flags: "flag" (every environment) or "flag@environment"
 * @param overrides per-flag partial overrides; later entries win, environment-specific ones after the general ones
 */
public record RolloutPolicy(JudgeConfig thresholds, RolloutPlan plan, List<String> managedFlags,
                            List<FlagOverride> overrides) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public RolloutPolicy {
    thresholds = thresholds != null ? thresholds : JudgeConfig.defaults();
    plan = plan != null ? plan : RolloutPlan.defaults();
    managedFlags = managedFlags != null ? List.copyOf(managedFlags) : List.of();
    overrides = overrides != null ? List.copyOf(overrides) : List.of();
    for (FlagOverride override : overrides) {
      // Resolve once here so that a bad override fails when the file is loaded, not at the first decision.
      overlay(thresholds, override.thresholds(), JudgeConfig.class);
      overlay(plan, override.plan(), RolloutPlan.class);
    }
  }

  @JsonCreator
  public static RolloutPolicy of(@JsonProperty("thresholds") JudgeConfig thresholds,
                                 @JsonProperty("plan") RolloutPlan plan,
                                 @JsonProperty("managedFlags") List<String> managedFlags,
                                 @JsonProperty("overrides") List<FlagOverride> overrides) {
    return new RolloutPolicy(thresholds, plan, managedFlags, overrides);
  }

  public static RolloutPolicy defaults() {
    return new RolloutPolicy(null, null, null, null);
  }

  public static RolloutPolicy fromJson(String json) {
    try {
      return MAPPER.readValue(json, RolloutPolicy.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid rollout policy: " + e.getOriginalMessage(), e);
    }
  }

  public static RolloutPolicy load(Path file) {
    try {
      return fromJson(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read rollout policy " + file, e);
    }
  }

  public boolean isOptedIn(String flag, String environment) {
    return managedFlags.contains(flag) || managedFlags.contains(flag + "@" + environment);
  }

  public RolloutPlan planFor(String flag, String environment) {
    RolloutPlan resolved = plan;
    for (FlagOverride override : ordered(flag, environment)) {
      resolved = overlay(resolved, override.plan(), RolloutPlan.class);
    }
    return resolved;
  }

  public JudgeConfig thresholdsFor(String flag, String environment) {
    JudgeConfig resolved = thresholds;
    for (FlagOverride override : ordered(flag, environment)) {
      resolved = overlay(resolved, override.thresholds(), JudgeConfig.class);
    }
    return resolved;
  }

  /** Judges one flag with its own plan, thresholds and opt-in: what the decision stage and the simulator call. */
  public Verdict judge(FlagWindowStats latest, FlagWindowStats cumulative, FlagState state, StepTiming timing) {
    return judge(latest, cumulative, state, timing, null);
  }

  /**
   * The same, with a historical baseline: an earlier step's statistics whose control arm stands in when this step
   * has no live control arm (see {@link Judge}); null for none.
   */
  public Verdict judge(FlagWindowStats latest, FlagWindowStats cumulative, FlagState state, StepTiming timing,
                       FlagWindowStats baseline) {
    String flag = latest.getFlag();
    String environment = latest.getEnvironment();
    return new Judge(thresholdsFor(flag, environment)).judge(latest, cumulative, state, planFor(flag, environment),
        isOptedIn(flag, environment), timing, baseline);
  }

  private List<FlagOverride> ordered(String flag, String environment) {
    return java.util.stream.Stream.concat(
            overrides.stream().filter(o -> o.environment() == null && o.appliesTo(flag, environment)),
            overrides.stream().filter(o -> o.environment() != null && o.appliesTo(flag, environment)))
        .toList();
  }

  private static <T> T overlay(T base, ObjectNode override, Class<T> type) {
    if (override == null || override.isEmpty()) {
      return base;
    }
    ObjectNode tree = MAPPER.valueToTree(base);
    tree.setAll(override);
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid override for " + type.getSimpleName() + ": "
          + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid override for " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }
}
