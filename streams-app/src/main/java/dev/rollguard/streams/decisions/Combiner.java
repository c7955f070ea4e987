package dev.rollguard.streams.decisions;

import dev.rollguard.advisor.AdviceResult;
import dev.rollguard.advisor.AdviceResult.Answered;
import dev.rollguard.advisor.AdviceResult.Failed;
import dev.rollguard.advisor.AdviceResult.FailureKind;
import dev.rollguard.advisor.AdviceResult.RawSuggestion;
import dev.rollguard.avro.Action;
import dev.rollguard.avro.Advice;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.judge.Verdict;
import java.util.Locale;

/**
 * Chooses the final action from the judge's verdict and the advisor's answer. The LLM's choice stands only when the
 * verdict permits it ({@link Verdict#permits}: an allowed action, and for INCREASE at most the plan's next step);
 * anything else, and every failure, leaves the decision to the rules. Pure and deterministic.
 */
public final class Combiner {
  /** Fallback kind for a well-formed answer the rules do not permit (the advisor's own kinds cover the rest). */
  public static final String OUTSIDE_RULES = "OUTSIDE_RULES";

  private Combiner() {}

  /**
   * The combined outcome.
   *
   * @param fallbackKind why the rules decided instead of the LLM: a {@link FailureKind} name or {@link #OUTSIDE_RULES};
   *     null unless {@code decidedBy} is FALLBACK
   * @param advice what the model said (null when the advisor is off)
   */
  public record Combined(Action action, int toPercent, String reason, double confidence, DecidedBy decidedBy,
                         Advice advice, String fallbackKind) {}

  /** Combines; {@code advice} null (or {@code Failed(DISABLED)}) means the advisor is off and the rules decide. */
  public static Combined combine(Verdict verdict, AdviceResult advice) {
    if (advice == null || advice instanceof Failed f && f.kind() == FailureKind.DISABLED) {
      return rules(verdict, DecidedBy.RULES, verdict.reason(), null, null);
    }
    if (advice instanceof Answered a) {
      Advice audit = Advice.newBuilder()
          .setModel(a.model())
          .setLatencyMs(a.latencyMs())
          .setSuggestedAction(a.action().name())
          .setSuggestedPercent(a.percent())
          .setExplanation(a.explanation())
          .build();
      if (verdict.permits(a.action(), a.percent())) {
        String reason = String.format(Locale.ROOT, "LLM (%s) chose %s %d%% within the rules: %s | rules: %s",
            a.model(), a.action(), a.percent(), a.explanation(), verdict.reason());
        return new Combined(a.action(), a.percent(), reason, clampUnit(a.confidence()), DecidedBy.LLM, audit, null);
      }
      String why = String.format(Locale.ROOT, "LLM suggested %s %d%%, outside the rules (allowed %s, next step %d%%)",
          a.action(), a.percent(), verdict.allowedActions(), verdict.nextStepPercent());
      return rules(verdict, DecidedBy.FALLBACK, verdict.reason() + " | fallback: " + why, audit, OUTSIDE_RULES);
    }
    Failed f = (Failed) advice;
    RawSuggestion raw = f.rawSuggestion();
    Advice audit = Advice.newBuilder()
        .setModel(f.model())
        .setLatencyMs(f.latencyMs())
        .setSuggestedAction(raw != null ? raw.action() : null)
        .setSuggestedPercent(raw != null ? raw.percent() : null)
        // The model's own words when it said anything (for the audit), else why there was no usable answer.
        .setExplanation(raw != null && raw.explanation() != null ? raw.explanation() : f.reason())
        .build();
    String why = "advisor " + f.kind() + ": " + f.reason();
    return rules(verdict, DecidedBy.FALLBACK, verdict.reason() + " | fallback: " + why, audit, f.kind().name());
  }

  private static Combined rules(Verdict v, DecidedBy by, String reason, Advice advice, String kind) {
    return new Combined(v.action(), v.targetPercent(), reason, clampUnit(v.confidence()), by, advice, kind);
  }

  private static double clampUnit(double x) {
    return Double.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0;
  }
}
