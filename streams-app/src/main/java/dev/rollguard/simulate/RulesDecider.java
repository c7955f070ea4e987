package dev.rollguard.simulate;

import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.judge.RolloutPolicy;
import dev.rollguard.judge.StepTiming;
import dev.rollguard.judge.Verdict;
import dev.rollguard.judge.WindowStatsMerger;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The rules alone, through {@link RolloutPolicy#judge}: an interim stand-in for the decision stage's core. Keeps per
 * flag the statistics since the current step began; a step begins when the flag's percent or on/off state changes.
 */
final class RulesDecider implements WindowDecider {
  private final RolloutPolicy policy;
  private final long windowMillis;
  private final Map<String, Progress> progress = new HashMap<>();

  private record Progress(int percent, boolean enabled, FlagWindowStats cumulative, int windowsAtStep) {}

  RulesDecider(RolloutPolicy policy, Duration windowSize) {
    this.policy = policy;
    this.windowMillis = windowSize.toMillis();
  }

  @Override
  public RolloutDecision decide(FlagWindowStats closed, FlagState state) {
    String key = closed.getEnvironment() + "/" + closed.getFlag();
    int percent = state.getRolloutPercent() == null ? -1 : state.getRolloutPercent();
    Progress before = progress.get(key);
    if (before == null || before.percent() != percent || before.enabled() != state.getEnabled()) {
      before = new Progress(percent, state.getEnabled(), null, 0);
    }
    Progress now = new Progress(percent, state.getEnabled(),
        WindowStatsMerger.merge(before.cumulative(), closed), before.windowsAtStep() + 1);
    progress.put(key, now);
    long sinceChange = state.getLastChangedAt() == null ? Integer.MAX_VALUE
        : Math.max(0, ceilDiv(closed.getWindowEnd().toEpochMilli() - state.getLastChangedAt().toEpochMilli(),
            windowMillis));
    Verdict verdict = policy.judge(closed, now.cumulative(), state,
        new StepTiming(now.windowsAtStep(), (int) Math.min(Integer.MAX_VALUE, sinceChange)));
    return RolloutDecision.newBuilder()
        .setDecisionId(verdict.decisionId())
        .setFlag(verdict.flag())
        .setEnvironment(verdict.environment())
        .setWindowStart(closed.getWindowStart())
        .setWindowEnd(closed.getWindowEnd())
        .setAction(verdict.action())
        .setFromPercent(verdict.fromPercent())
        .setToPercent(verdict.targetPercent())
        .setReason(verdict.reason())
        .setConfidence(verdict.confidence())
        .setDecidedBy(DecidedBy.RULES)
        .setFindings(verdict.avroFindings())
        .setAdvice(null)
        .setMode(verdict.mode())
        // The simulated clock: decided the moment the window closed.
        .setCreatedAt(closed.getWindowEnd())
        .build();
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  @Override
  public String describe() {
    return "rules only (RolloutPolicy.judge)";
  }
}
