package dev.rollguard.judge;

import static dev.rollguard.judge.TestStats.CONTROL;
import static dev.rollguard.judge.TestStats.TREATMENT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The judge with a historical baseline: at 100% the live control arm is empty, and an earlier step's control arm
 * stands in for it. A regression against it rolls back; a healthy flag holds; it never increases; without a baseline,
 * or with a live control arm, nothing changes.
 */
final class HistoricalBaselineTest {
  private static final Judge JUDGE = new Judge(JudgeConfig.defaults());
  private static final StepTiming TIMING = new StepTiming(3, 3);
  /** The baseline's windows: 0 and 1, i.e. 12:00 to 12:02. */
  private static final String BASELINE_RANGE = "2026-11-02T12:00:00Z to 2026-11-02T12:02:00Z";

  /** {@code users} users making two requests each, 5% converting, p99 450 ms. */
  private static VariantStats arm(long users, double errorRate, long firstUserId) {
    return arm(users, errorRate, 0.05, firstUserId);
  }

  private static VariantStats arm(long users, double errorRate, double conversionRate, long firstUserId) {
    long requests = 2 * users;
    return TestStats.variant(new TestStats.Arm(users, requests, Math.round(requests * errorRate),
        Math.round(users * conversionRate), TestStats.lognormalGrid(requests, 120, 450), firstUserId));
  }

  /** The 75% step's statistics over windows 0-1: the control arm had 5,000 users at 1% errors. */
  private static FlagWindowStats baseline() {
    FlagWindowStats w = TestStats.window(0, Map.of(CONTROL, arm(5_000, 0.01, 0), TREATMENT, arm(15_000, 0.01, 10_000)));
    w.setWindowEnd(w.getWindowStart().plusSeconds(120));
    return w;
  }

  /** A step at 100% over windows 5-6: all 20,000 users in treatment, control present but empty. */
  private static FlagWindowStats atHundred(double treatmentErrorRate) {
    FlagWindowStats w = TestStats.window(5, Map.of(CONTROL, arm(0, 0, 0),
        TREATMENT, arm(20_000, treatmentErrorRate, 100_000)));
    w.setWindowEnd(w.getWindowStart().plusSeconds(120));
    return w;
  }

  private static Verdict judge(FlagWindowStats stats, int percent, RolloutPlan plan, FlagWindowStats baseline) {
    return JUDGE.judge(stats, stats, TestStats.state(percent, true, false, true), plan, false, TIMING, baseline);
  }

  private static Finding finding(Verdict v, String metric) {
    return v.findings().stream().filter(f -> f.metric().equals(metric) && f.variant().equals(TREATMENT))
        .findFirst().orElseThrow();
  }

  @Test
  void aRegressionAgainstTheBaselineRollsBackToThePlansTarget() {
    Verdict v = judge(atHundred(0.03), 100, RolloutPlan.defaults(), baseline());

    assertThat(v.action()).isEqualTo(Action.ROLLBACK);
    assertThat(v.targetPercent()).isZero();
    assertThat(v.allowedActions()).containsExactlyInAnyOrder(Action.ROLLBACK, Action.KILL);
    assertThat(v.reason()).startsWith("ROLLBACK 100% → 0%: enabled regressed against the historical baseline: "
        + "error rate 3.0% vs 1.0% control");
    assertThat(v.reason()).contains("compared against the historical baseline (control disabled over "
        + BASELINE_RANGE).contains("never increase");
    Finding error = finding(v, Finding.ERROR_RATE);
    assertThat(error.verdict()).isEqualTo(FindingVerdict.REGRESSION);
    assertThat(error.baseline()).isEqualTo(0.01);
    assertThat(error.detail()).startsWith("against the historical baseline (control disabled over " + BASELINE_RANGE);

    RolloutPlan stepBack = new RolloutPlan(RolloutPlan.DEFAULT_STEPS, 2, 1, true);
    Verdict previous = judge(atHundred(0.03), 100, stepBack, baseline());
    assertThat(previous.action()).isEqualTo(Action.ROLLBACK);
    assertThat(previous.targetPercent()).as("the plan's rollback target").isEqualTo(75);
  }

  @Test
  void withoutABaselineTheSameRegressionOnlyHolds() {
    FlagWindowStats stats = atHundred(0.03);
    Verdict v = judge(stats, 100, RolloutPlan.defaults(), null);

    // 3% is under the 5% rollback guardrail and there is no control arm: the old behaviour, unchanged.
    assertThat(v.action()).isEqualTo(Action.HOLD);
    assertThat(v.reason()).startsWith("HOLD at 100%: the plan is complete at 100%").doesNotContain("baseline");
    assertThat(finding(v, Finding.ERROR_RATE).verdict()).isEqualTo(FindingVerdict.INCONCLUSIVE);
    assertThat(v).isEqualTo(JUDGE.judge(stats, stats, TestStats.state(100, true, false, true),
        RolloutPlan.defaults(), false, TIMING));
    FlagWindowStats emptyBaseline = TestStats.window(0, Map.of(CONTROL, arm(0, 0, 0)));
    assertThat(judge(stats, 100, RolloutPlan.defaults(), emptyBaseline)).as("a baseline with an empty control arm")
        .isEqualTo(v);
  }

  @Test
  void aHealthyFlagAgainstTheBaselineHoldsAtTheCompletePlan() {
    Verdict v = judge(atHundred(0.01), 100, RolloutPlan.defaults(), baseline());

    assertThat(v.action()).isEqualTo(Action.HOLD);
    assertThat(v.allowedActions()).containsExactly(Action.HOLD);
    assertThat(v.reason()).startsWith("HOLD at 100%: the plan is complete at 100%")
        .contains("compared against the historical baseline (control disabled over " + BASELINE_RANGE);
    for (String metric : List.of(Finding.ERROR_RATE, Finding.LATENCY_P99)) {
      Finding f = finding(v, metric);
      assertThat(f.verdict()).as(metric).isEqualTo(FindingVerdict.PASS);
      assertThat(f.detail()).as(metric).startsWith("against the historical baseline");
    }
    assertThat(v.findings()).extracting(Finding::metric).as("no split test against a baseline")
        .doesNotContain(Finding.SRM);
  }

  @Test
  void conversionIsNotComparedWithABaselineFromAnotherPeriod() {
    // A long step's control: returning users had many windows to convert, 8% of them did. Treatment's first windows
    // at 100% show 5%: a difference of period lengths, not of the flag, so it must not roll back.
    FlagWindowStats longStep = TestStats.window(0, Map.of(CONTROL, arm(5_000, 0.01, 0.08, 0)));
    Verdict v = judge(atHundred(0.01), 100, RolloutPlan.defaults(), longStep);

    assertThat(v.action()).isEqualTo(Action.HOLD);
    Finding conversion = finding(v, Finding.CONVERSION);
    assertThat(conversion.verdict()).isEqualTo(FindingVerdict.INCONCLUSIVE);
    assertThat(conversion.pValue()).isNull();
    assertThat(conversion.detail()).contains("not tested against a historical baseline");
    // The same numbers with a live control arm are a conversion regression.
    FlagWindowStats live = TestStats.window(5, Map.of(CONTROL, arm(5_000, 0.01, 0.08, 0),
        TREATMENT, arm(20_000, 0.01, 100_000)));
    assertThat(judge(live, 80, RolloutPlan.defaults(), null).action()).isEqualTo(Action.ROLLBACK);
  }

  @Test
  void theBaselineAloneNeverIncreasesBelowTheLastStep() {
    // 99% of a few users: the control arm is empty but the split is too small for the SRM test, every arm has its
    // minimum sample and dwell and cooldown are over: with a live control this would be an INCREASE.
    RolloutPlan plan = new RolloutPlan(List.of(1, 50, 99, 100), 2, 1, false);
    FlagWindowStats stats = TestStats.window(5, Map.of(CONTROL, arm(0, 0, 0), TREATMENT, arm(400, 0.01, 100_000)));
    Verdict v = JUDGE.judge(stats, stats, TestStats.state(99, true, false, true), plan, false,
        new StepTiming(5, 5), baseline());

    assertThat(v.action()).isEqualTo(Action.HOLD);
    assertThat(v.allowedActions()).doesNotContain(Action.INCREASE);
    assertThat(v.reason()).startsWith("HOLD at 99%: no live control arm: the historical baseline can prove a "
        + "regression, never that an increase is safe");
  }

  @Test
  void aLiveControlArmAlwaysWinsOverTheBaseline() {
    FlagWindowStats stats = TestStats.window(5, Map.of(CONTROL, arm(5_000, 0.03, 0), TREATMENT,
        arm(5_000, 0.03, 100_000)));
    // Treatment at 3% errors matches its live control: compared with the 1% baseline it would be a regression.
    Verdict v = judge(stats, 50, RolloutPlan.defaults(), baseline());

    assertThat(v).isEqualTo(judge(stats, 50, RolloutPlan.defaults(), null));
    assertThat(v.action()).isNotEqualTo(Action.ROLLBACK);
    assertThat(v.reason()).doesNotContain("baseline");
  }

  @Test
  void thePolicyPassesTheBaselineOn() {
    RolloutPolicy policy = RolloutPolicy.defaults();
    FlagWindowStats stats = atHundred(0.03);
    assertThat(policy.judge(stats, stats, TestStats.state(100, true, false, true), TIMING, baseline()).action())
        .isEqualTo(Action.ROLLBACK);
    assertThat(policy.judge(stats, stats, TestStats.state(100, true, false, true), TIMING).action())
        .isEqualTo(Action.HOLD);
  }
}
