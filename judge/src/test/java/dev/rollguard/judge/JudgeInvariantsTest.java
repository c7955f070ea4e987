package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.judge.SimulatedTraffic.Profile;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Safety properties over random inputs: random traffic, rates, latencies, biased splits, flag states, plans and
 * timings. Each property is checked from the inputs where it can be, not only from the verdict's own findings.
 */
final class JudgeInvariantsTest {
  private static final int CASES = 600;

  @Test
  void safetyPropertiesHoldForRandomInputs() {
    SplittableRandom random = new SplittableRandom(2026);
    int increases = 0;
    int rollbacks = 0;
    int srmCases = 0;
    for (int i = 0; i < CASES; i++) {
      Case c = randomCase(random, i);
      Verdict verdict = new Judge(c.config).judge(c.latest, c.cumulative, c.state, c.plan, c.optedIn, c.timing);
      String context = "case " + i + ": " + verdict.reason();
      checkInvariants(c, verdict, context);
      assertThat(new Judge(c.config).judge(c.latest, c.cumulative, c.state, c.plan, c.optedIn, c.timing))
          .as("deterministic: " + context).isEqualTo(verdict);
      increases += verdict.action() == Action.INCREASE ? 1 : 0;
      rollbacks += verdict.action() == Action.ROLLBACK || verdict.action() == Action.KILL ? 1 : 0;
      srmCases += hasFinding(verdict, FindingVerdict.DATA_QUALITY) ? 1 : 0;
    }
    System.out.printf("invariants: %d random cases, %d INCREASE, %d ROLLBACK/KILL, %d with SRM%n", CASES, increases,
        rollbacks, srmCases);
    // The generator must exercise every branch, or the properties above would hold vacuously.
    assertThat(increases).isGreaterThan(CASES / 20);
    assertThat(rollbacks).isGreaterThan(CASES / 40);
    assertThat(srmCases).isGreaterThan(CASES / 50);
  }

  private static void checkInvariants(Case c, Verdict v, String context) {
    int from = v.fromPercent();
    assertThat(v.allowedActions()).as(context).contains(v.action());
    assertThat(v.permits(v.action(), v.targetPercent())).as(context).isTrue();
    switch (v.action()) {
      case INCREASE -> assertThat(v.targetPercent()).as("never skip a step: " + context).isEqualTo(c.plan.nextStep(from));
      case HOLD -> assertThat(v.targetPercent()).as(context).isEqualTo(from);
      case ROLLBACK -> assertThat(v.targetPercent()).as(context).isEqualTo(c.plan.rollbackTarget(from)).isLessThan(from);
      case KILL -> assertThat(v.targetPercent()).as(context).isZero();
    }
    // No decider may skip a step either: nothing above the next step is ever permitted.
    for (int percent = c.plan.nextStep(from) + 1; percent <= 100; percent++) {
      for (Action action : Action.values()) {
        assertThat(v.permits(action, percent)).as("permits " + action + " " + percent + ": " + context).isFalse();
      }
    }
    boolean increasable = v.allowedActions().contains(Action.INCREASE);
    if (c.state != null && c.state.getPaused()) {
      assertThat(v.action()).as("paused: " + context).isEqualTo(Action.HOLD);
      assertThat(v.allowedActions()).as("paused: " + context).isEqualTo(EnumSet.of(Action.HOLD));
    }
    if (hasFinding(v, FindingVerdict.DATA_QUALITY)) {
      assertThat(increasable).as("never INCREASE under SRM: " + context).isFalse();
    }
    if (c.silent) {
      assertThat(v.action()).as("silence: " + context).isEqualTo(Action.HOLD);
      assertThat(v.allowedActions()).as("silence: " + context).isEqualTo(EnumSet.of(Action.HOLD));
    }
    VariantStats control = c.cumulative.getVariants().get(TestStats.CONTROL);
    VariantStats treatment = c.cumulative.getVariants().get(TestStats.TREATMENT);
    boolean enoughData = control != null && treatment != null
        && control.getRequests() >= c.config.minRequestsPerArm() && treatment.getRequests() >= c.config.minRequestsPerArm()
        && control.getUniqueUsers() >= c.config.minUsersPerArm() && treatment.getUniqueUsers() >= c.config.minUsersPerArm();
    if (!enoughData) {
      assertThat(increasable).as("never INCREASE without the minimum sample: " + context).isFalse();
    }
    if (treatment != null && treatment.getRequests() >= c.config.minRequestsPerArm()
        && (treatment.getErrorRate() > c.config.noIncreaseErrorRate()
            || treatment.getLatencyP99Ms() > c.config.noIncreaseP99Ms())) {
      assertThat(increasable).as("never INCREASE above a guardrail: " + context).isFalse();
    }
    if (v.action() == Action.ROLLBACK || v.action() == Action.KILL) {
      assertThat(treatment).as("never roll back on silence: " + context).isNotNull();
      assertThat(treatment.getRequests()).as("never roll back on silence: " + context)
          .isGreaterThanOrEqualTo(c.config.minRequestsPerArm());
    }
    if (v.action() == Action.INCREASE) {
      assertThat(c.timing.windowsAtStep()).as("dwell: " + context).isGreaterThanOrEqualTo(c.plan.minDwellWindows());
      assertThat(c.timing.windowsSinceLastChange()).as("cooldown: " + context).isGreaterThan(c.plan.cooldownWindows());
    }
    if (c.state == null) {
      assertThat(v.mode()).as("unknown flags are advisory: " + context).isEqualTo(Mode.ADVISORY);
      assertThat(v.percentInferred()).isTrue();
    } else if (!c.state.getManaged() && !c.optedIn) {
      assertThat(v.mode()).as("not opted in: " + context).isEqualTo(Mode.ADVISORY);
    }
  }

  private static boolean hasFinding(Verdict v, FindingVerdict verdict) {
    return v.findings().stream().anyMatch(f -> f.verdict() == verdict);
  }

  private record Case(FlagWindowStats latest, FlagWindowStats cumulative, FlagState state, RolloutPlan plan,
                      boolean optedIn, StepTiming timing, JudgeConfig config, boolean silent) {}

  private static Case randomCase(SplittableRandom random, int index) {
    // A third of the cases look like a healthy managed rollout, so that INCREASE is exercised as much as the rest.
    boolean healthy = random.nextInt(3) == 0;
    RolloutPlan plan = random.nextInt(3) == 0
        ? new RolloutPlan(List.of(2, 20, 60, 100), 1 + random.nextInt(3), random.nextInt(3), random.nextBoolean())
        : RolloutPlan.defaults();
    int steps = plan.steps().size();
    int percent = healthy ? plan.steps().get(random.nextInt(steps - 1))
        : random.nextInt(4) == 0 ? random.nextInt(101) : plan.steps().get(random.nextInt(steps));
    FlagState state = healthy ? TestStats.state(percent, true, false, true)
        : random.nextInt(8) == 0 ? null
        : TestStats.state(random.nextInt(12) == 0 ? null : percent, random.nextBoolean(), random.nextInt(6) == 0,
            random.nextInt(12) != 0);
    boolean silent = !healthy && random.nextInt(12) == 0;
    long users = silent ? 0 : healthy ? 20_000 + random.nextInt(40_000) : (long) Math.pow(10, 1 + 3.3 * random.nextDouble());
    double share = percent / 100.0;
    if (!healthy && random.nextInt(5) == 0) {
      share *= 0.3 + random.nextDouble(); // a broken assignment: sample-ratio mismatch
    }
    share = Math.min(1, share);
    Profile control = healthy ? Profile.BASELINE : randomProfile(random, Profile.BASELINE);
    Profile treatment = healthy || random.nextBoolean() ? control : randomProfile(random, control);
    SimulatedTraffic traffic = new SimulatedTraffic();
    int windows = healthy ? 2 + random.nextInt(3) : 1 + random.nextInt(4);
    FlagWindowStats cumulative = null;
    FlagWindowStats latest = null;
    for (int w = 0; w < windows; w++) {
      latest = silent ? TestStats.window(w, Map.of())
          : traffic.window(random, w, users, 1 + random.nextInt(3), share, control, treatment);
      cumulative = WindowStatsMerger.merge(cumulative, latest);
    }
    StepTiming timing = new StepTiming(windows, healthy ? windows : random.nextInt(windows + 2));
    return new Case(latest, cumulative, state, plan, random.nextInt(4) == 0, timing, JudgeConfig.defaults(), silent);
  }

  private static Profile randomProfile(SplittableRandom random, Profile base) {
    return switch (random.nextInt(5)) {
      case 0 -> base.withErrorRate(random.nextDouble() * (random.nextBoolean() ? 0.04 : 0.4));
      case 1 -> base.withP99(base.medianMs() * (1.5 + 8 * random.nextDouble()));
      case 2 -> base.withConversionRate(random.nextDouble() * 0.1);
      default -> base;
    };
  }
}
