package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.Mode;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

final class VerdictTest {
  private static final Instant END = Instant.parse("2026-11-02T12:01:00Z");

  private static Verdict verdict(Action action, int from, int target, int next, EnumSet<Action> allowed) {
    return new Verdict("f", "production", END.minusSeconds(60), END, action, from, target, next, allowed,
        List.of(new Finding(Finding.LATENCY_P99, "enabled", FindingVerdict.INCONCLUSIVE, Double.NaN, 450.0, null,
            null, "no latency")), "reason", 0.9, Mode.ENFORCE, false, 0.05, 3);
  }

  @Test
  void permitsOnlyAllowedActionsUpToTheNextStep() {
    Verdict healthy = verdict(Action.INCREASE, 5, 10, 10, EnumSet.of(Action.INCREASE, Action.HOLD));
    assertThat(healthy.permits(Action.INCREASE, 10)).isTrue();
    assertThat(healthy.permits(Action.INCREASE, 7)).as("a smaller increase is within the step").isTrue();
    assertThat(healthy.permits(Action.INCREASE, 25)).as("skipping a step").isFalse();
    assertThat(healthy.permits(Action.INCREASE, 100)).isFalse();
    assertThat(healthy.permits(Action.INCREASE, 5)).isFalse();
    assertThat(healthy.permits(Action.HOLD, 5)).isTrue();
    assertThat(healthy.permits(Action.HOLD, 10)).isFalse();
    assertThat(healthy.permits(Action.ROLLBACK, 0)).as("not allowed on a healthy flag").isFalse();
    assertThat(healthy.permits(Action.KILL, 0)).isFalse();
    assertThat(healthy.permits(null, 5)).isFalse();
  }

  @Test
  void rollbackMustGoLowerAndKillMustGoToZero() {
    Verdict regressed = verdict(Action.ROLLBACK, 25, 0, 50, EnumSet.of(Action.ROLLBACK, Action.KILL));
    assertThat(regressed.permits(Action.ROLLBACK, 0)).isTrue();
    assertThat(regressed.permits(Action.ROLLBACK, 10)).isTrue();
    assertThat(regressed.permits(Action.ROLLBACK, 25)).isFalse();
    assertThat(regressed.permits(Action.KILL, 0)).isTrue();
    assertThat(regressed.permits(Action.KILL, 5)).isFalse();
    assertThat(regressed.permits(Action.HOLD, 25)).as("a proven regression is not held").isFalse();
    assertThat(regressed.permits(Action.INCREASE, 50)).isFalse();
  }

  @Test
  void decisionIdIsDeterministicAndDependsOnEveryPart() {
    String id = Verdict.decisionId("f", "production", END, 5);
    assertThat(Verdict.decisionId("f", "production", END, 5)).isEqualTo(id);
    assertThat(java.util.UUID.fromString(id).version()).isEqualTo(3);
    assertThat(Verdict.decisionId("g", "production", END, 5)).isNotEqualTo(id);
    assertThat(Verdict.decisionId("f", "staging", END, 5)).isNotEqualTo(id);
    assertThat(Verdict.decisionId("f", "production", END.plusSeconds(60), 5)).isNotEqualTo(id);
    assertThat(Verdict.decisionId("f", "production", END, 10)).isNotEqualTo(id);
    assertThat(Verdict.decisionId("f\u0000production", "", END, 5)).as("no ambiguity by concatenation")
        .isNotEqualTo(Verdict.decisionId("f", "\u0000production", END, 5));
    assertThat(verdict(Action.HOLD, 5, 5, 10, EnumSet.of(Action.HOLD)).decisionId()).isEqualTo(id);
  }

  @Test
  void avroFindingsCarryNoNonFiniteNumbers() {
    var avro = verdict(Action.HOLD, 5, 5, 10, EnumSet.of(Action.HOLD)).avroFindings();
    assertThat(avro).hasSize(1);
    assertThat(avro.get(0).getObserved()).isNull();
    assertThat(avro.get(0).getBaseline()).isEqualTo(450.0);
    assertThat(avro.get(0).getVerdict()).isEqualTo("INCONCLUSIVE");
  }
}
