package dev.rollguard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RolloutDecision;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecisionPrinterTest {
  private static RolloutDecision decision(String flag, Action action, int from, int to, String reason) {
    return RolloutDecision.newBuilder()
        .setDecisionId("d").setFlag(flag).setEnvironment("production")
        .setWindowStart(Instant.parse("2026-11-24T12:01:00Z")).setWindowEnd(Instant.parse("2026-11-24T12:01:10Z"))
        .setAction(action).setFromPercent(from).setToPercent(to).setReason(reason).setConfidence(0.9)
        .setDecidedBy(DecidedBy.RULES).setFindings(List.of()).setAdvice(null).setMode(Mode.ENFORCE)
        .setCreatedAt(Instant.parse("2026-11-24T12:01:11Z"))
        .build();
  }

  @Test
  void aDecisionLineSaysWhatChangedWhoDecidedAndTheEvidence() {
    String line = DecisionPrinter.decisionLine(decision("new-checkout", Action.INCREASE, 5, 10,
        "INCREASE 5% → 10%: no regression after 2 windows at 5%; enabled: error 1.0% vs 1.1% control, p99 231 ms"
            + " vs 228 ms, n=4,210/79,800; α 0.05 family-wise (Bonferroni over 3 tests)"));

    assertThat(line).contains("  new-checkout  production  INCREASE 5% → 10%")
        .contains("(RULES) no regression after 2 windows at 5%; enabled: error 1.0% vs 1.1% control")
        .endsWith("n=4,210/79,800")
        .doesNotContain("Bonferroni");
  }

  @Test
  void controlCharactersInUntrustedNamesAreStrippedBeforePrinting() {
    String evil = "evil\u001b[2J\u001b]0;pwned\u0007\nflag\u202e";
    String line = DecisionPrinter.decisionLine(decision(evil, Action.HOLD, 10, 10,
        "HOLD at 10%: dwell: 1 of 2 windows for " + evil));

    assertThat(line).doesNotContain("\u001b").doesNotContain("\n").doesNotContain("\u0007")
        .doesNotContain("\u202e").contains("evil[2J]0;pwnedflag").contains("HOLD at 10%");
  }

  @Test
  void holdAndAdvisorySkipsAreNotPrintedButRealOutcomesAre() {
    ApplyOutcome hold = outcome(OutcomeKind.SKIPPED, "skipped: hold changes nothing");
    ApplyOutcome override = outcome(OutcomeKind.SKIPPED, "skipped: human override (alice, ...)");
    ApplyOutcome applied = outcome(OutcomeKind.APPLIED, "applied: rollout 10% -> 25%");

    assertThat(DecisionPrinter.isWorthPrinting(hold)).isFalse();
    assertThat(DecisionPrinter.isWorthPrinting(override)).isTrue();
    assertThat(DecisionPrinter.outcomeLine(applied)).endsWith("new-checkout  production  applier: applied: rollout"
        + " 10% -> 25%");
  }

  private static ApplyOutcome outcome(OutcomeKind kind, String reason) {
    return ApplyOutcome.newBuilder().setDecisionId("d").setFlag("new-checkout").setEnvironment("production")
        .setAction(Action.INCREASE).setOutcome(kind).setReason(reason).setFromPercent(10).setToPercent(25)
        .setHttpStatus(200).setResponse(null).setAt(Instant.parse("2026-11-24T12:01:12Z")).build();
  }

  @Test
  void theStickyBucketIsStableAndSpreadsUsersEvenly() {
    assertThat(TrafficGenerator.bucket("new-checkout", "user-42"))
        .isEqualTo(TrafficGenerator.bucket("new-checkout", "user-42"));
    int below10 = 0;
    for (int u = 0; u < 20_000; u++) {
      if (TrafficGenerator.bucket("new-checkout", "user-" + u) < 10) {
        below10++;
      }
    }
    assertThat(below10).isBetween(1_800, 2_200);
  }
}
