package dev.rollguard.advisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rollguard.avro.Action;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the decision stage asks the advisor about one flag at the close of one window.
 *
 * <p>{@code flag}, {@code environment}, and everything inside {@code findings} and {@code statistics} come from
 * applications and are untrusted: the prompt carries them only as JSON data. The numbers and actions are the
 * judge's and are trusted.
 *
 * @param flag            Unleash flag name (untrusted)
 * @param environment     Unleash environment (untrusted)
 * @param currentPercent  rollout percent now, 0..100
 * @param nextStepPercent the plan's next step, or null when there is none (already at 100, or paused)
 * @param allowedActions  what the judge allows; never empty
 * @param rules           what the rules would do on their own
 * @param findings        the judge's findings (a JSON array or object), may be null
 * @param statistics      cumulative statistics since the step began (JSON), may be null
 */
public record AdviceRequest(
        String flag,
        String environment,
        int currentPercent,
        Integer nextStepPercent,
        Set<Action> allowedActions,
        RulesRecommendation rules,
        JsonNode findings,
        JsonNode statistics) {

    public AdviceRequest {
        Objects.requireNonNull(flag, "flag");
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(rules, "rules");
        requirePercent("currentPercent", currentPercent);
        if (nextStepPercent != null) {
            requirePercent("nextStepPercent", nextStepPercent);
        }
        if (allowedActions == null || allowedActions.isEmpty()) {
            throw new IllegalArgumentException("allowedActions must not be empty");
        }
        allowedActions = Collections.unmodifiableSet(EnumSet.copyOf(allowedActions));
        // Deep copies: a caller mutating its tree later must not change what was asked.
        findings = findings == null ? JsonNodeFactory.instance.arrayNode() : findings.deepCopy();
        statistics = statistics == null ? JsonNodeFactory.instance.objectNode() : statistics.deepCopy();
    }

    /**
     * Whether an action and percent stay inside this request's rules, as the system prompt states them: the action
     * is allowed; INCREASE goes above the current percent up to the next step; HOLD keeps the current percent;
     * ROLLBACK goes below it; KILL is 0. Empty when inside, else the reason it is not. The combiner may use this.
     */
    public Optional<String> violation(Action action, int percent) {
        if (!allowedActions.contains(action)) {
            return Optional.of(action + " is not among the allowed actions " + allowedActions);
        }
        return switch (action) {
            case INCREASE -> nextStepPercent == null
                    ? Optional.of("INCREASE without a next step")
                    : percent <= currentPercent || percent > nextStepPercent
                    ? Optional.of("INCREASE to " + percent + "% is outside (" + currentPercent + ", " + nextStepPercent + "]")
                    : Optional.empty();
            case HOLD -> percent == currentPercent
                    ? Optional.empty()
                    : Optional.of("HOLD must keep " + currentPercent + "%, not " + percent + "%");
            case ROLLBACK -> percent < currentPercent
                    ? Optional.empty()
                    : Optional.of("ROLLBACK to " + percent + "% is not below " + currentPercent + "%");
            case KILL -> percent == 0 ? Optional.empty() : Optional.of("KILL must be 0%, not " + percent + "%");
        };
    }

    /** The deterministic rules' own answer, shown to the model as the baseline to agree or disagree with. */
    public record RulesRecommendation(Action action, int percent, String reason) {
        public RulesRecommendation {
            Objects.requireNonNull(action, "action");
            requirePercent("rules.percent", percent);
            reason = reason == null ? "" : reason;
        }
    }

    private static void requirePercent(String name, int value) {
        if (value < 0 || value > 100) {
            throw new IllegalArgumentException(name + " must be in 0..100, was " + value);
        }
    }
}
