package dev.rollguard.advisor;

import static dev.rollguard.advisor.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.advisor.AdviceRequest.RulesRecommendation;
import dev.rollguard.avro.Action;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class AdviceRequestTest {

    private final AdviceRequest at10next25 = request("f");

    @Test
    void acceptsAnswersInsideThePercentRule() {
        assertThat(at10next25.violation(Action.INCREASE, 25)).isEmpty();
        assertThat(at10next25.violation(Action.INCREASE, 20)).isEmpty();
        assertThat(at10next25.violation(Action.HOLD, 10)).isEmpty();
        assertThat(at10next25.violation(Action.ROLLBACK, 0)).isEmpty();
    }

    @Test
    void refusesASkippedStepAndActionsOutsideTheRules() {
        assertThat(at10next25.violation(Action.INCREASE, 50)).hasValue("INCREASE to 50% is outside (10, 25]");
        assertThat(at10next25.violation(Action.HOLD, 25)).hasValue("HOLD must keep 10%, not 25%");
        assertThat(at10next25.violation(Action.ROLLBACK, 10)).hasValue("ROLLBACK to 10% is not below 10%");
        assertThat(at10next25.violation(Action.KILL, 0)).get().asString().contains("not among the allowed actions");
    }

    @Test
    void refusesAnEmptySetOfAllowedActions() {
        assertThatThrownBy(() -> new AdviceRequest("f", "e", 10, 25, Set.of(),
                new RulesRecommendation(Action.HOLD, 10, ""), null, null))
                .hasMessageContaining("allowedActions must not be empty");
    }

    @Test
    void isNotChangedByTheCallerMutatingItsSetLater() {
        EnumSet<Action> allowed = EnumSet.of(Action.HOLD);
        AdviceRequest r = new AdviceRequest("f", "e", 10, 25, allowed, new RulesRecommendation(Action.HOLD, 10, ""),
                null, null);
        allowed.add(Action.INCREASE);
        assertThat(r.allowedActions()).containsExactly(Action.HOLD);
    }
}
