package dev.rollguard.judge;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What the judge recommends for one flag at one window close, and the bounds any other decider (the LLM advisor)
 * must stay within: {@link #allowedActions()} and {@link #permits(Action, int)}.
 *
 * @param action the rules' recommendation
 * @param fromPercent rollout percent the verdict starts from (inferred from the exposure split when the flag state
 *     is unknown, see {@code percentInferred})
 * @param targetPercent where the action goes: the next step for INCREASE, fromPercent for HOLD, the plan's rollback
 *     target for ROLLBACK, 0 for KILL
 * @param nextStepPercent the plan's next step from fromPercent (fromPercent when the plan is complete)
 * @param allowedActions the actions the rules allow; always contains {@code action}
 * @param confidence 0..1, how sure the rules are of {@code action}
 * @param mode ENFORCE when the flag is opted in (FlagState.managed or the policy's list), else ADVISORY
 * @param familyAlpha the family-wise false-alarm level of the ROLLBACK/KILL tests
 * @param testsInFamily how many tests share familyAlpha (metrics × treatment variants, Bonferroni)
 */
public record Verdict(String flag, String environment, Instant windowStart, Instant windowEnd,
                      Action action, int fromPercent, int targetPercent, int nextStepPercent,
                      Set<Action> allowedActions, List<Finding> findings, String reason, double confidence,
                      Mode mode, boolean percentInferred, double familyAlpha, int testsInFamily) {
  private static final String DECISION_NAMESPACE = "rollguard-decision";

  public Verdict {
    allowedActions = Collections.unmodifiableSet(
        allowedActions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(allowedActions));
    findings = List.copyOf(findings);
    if (!allowedActions.contains(action)) {
      throw new IllegalArgumentException("the recommended action " + action + " must be allowed: " + allowedActions);
    }
  }

  /**
   * The combiner's rule: another decider's choice is acceptable only if the action is allowed and its percent is
   * the plan's next step or lower; HOLD keeps the current percent, ROLLBACK goes below it, KILL goes to 0.
   */
  public boolean permits(Action chosen, int percent) {
    if (chosen == null || !allowedActions.contains(chosen) || percent < 0 || percent > 100) {
      return false;
    }
    return switch (chosen) {
      case INCREASE -> percent > fromPercent && percent <= nextStepPercent;
      case HOLD -> percent == fromPercent;
      case ROLLBACK -> percent < fromPercent;
      case KILL -> percent == 0;
    };
  }

  /** This verdict's deterministic decision id, see {@link #decisionId(String, String, Instant, int)}. */
  public String decisionId() {
    return decisionId(flag, environment, windowEnd, fromPercent);
  }

  /**
   * A name-based (type 3) UUID of flag, environment, window end and starting percent: the same window judged again
   * (a replay, a restart under exactly-once) gets the same id, so duplicates are recognisable downstream.
   */
  public static String decisionId(String flag, String environment, Instant windowEnd, int fromPercent) {
    String name = String.join("\u0000", DECISION_NAMESPACE, flag, environment,
        Long.toString(windowEnd.toEpochMilli()), Integer.toString(fromPercent));
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }

  public List<dev.rollguard.avro.Finding> avroFindings() {
    return findings.stream().map(Finding::toAvro).toList();
  }
}
