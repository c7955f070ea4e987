package dev.rollguard.advisor;

import dev.rollguard.avro.Action;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one advice call. Ordinary failures are values, not exceptions, so the caller always gets an
 * answer it can fall back from.
 */
public sealed interface AdviceResult permits AdviceResult.Answered, AdviceResult.Failed {

    /** Model name asked. */
    String model();

    /** Wall time of the call in milliseconds (0 when no call was made). */
    long latencyMs();

    /**
     * A well-formed answer. The action is a valid {@link Action} and the percent is in 0..100, but whether it
     * is within the judge's allowed actions and the plan's step is the combiner's check, not the advisor's.
     *
     * @param adjustments what was clamped or truncated on the way in (empty when nothing was)
     */
    record Answered(Action action, int percent, double confidence, String explanation, String model, long latencyMs,
                    List<String> adjustments) implements AdviceResult {
        public Answered {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(explanation, "explanation");
            Objects.requireNonNull(model, "model");
            adjustments = List.copyOf(adjustments);
        }
    }

    /**
     * No usable answer.
     *
     * @param reason        readable, safe to log and to store (never contains the API key)
     * @param rawSuggestion what the model said, when it said anything, for the audit trail; else null
     */
    record Failed(String reason, FailureKind kind, String model, long latencyMs, RawSuggestion rawSuggestion)
            implements AdviceResult {
        public Failed {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(model, "model");
        }
    }

    /** Why there was no usable answer. */
    enum FailureKind {
        /** The advisor is configured off; no call was made. */
        DISABLED,
        /** maxConcurrency calls were already in flight; no call was made. */
        BUSY,
        /** The circuit breaker is open; no call was made. */
        CIRCUIT_OPEN,
        /** Connect or whole-call timeout. */
        TIMEOUT,
        /** Connection refused, DNS failure, reset. */
        UNREACHABLE,
        /** HTTP 401 or 403. */
        UNAUTHORIZED,
        /** Any other non-2xx status, or a 2xx body that is not a chat completion. */
        HTTP_ERROR,
        /** {@code finish_reason: "length"}: the answer was cut off. */
        TRUNCATED,
        /** The answer was not JSON, missed a field, or had a value out of its domain. */
        INVALID_ANSWER,
        /** A bug or an unexpected runtime error inside the advisor. */
        INTERNAL;

        /** True when a call reached for the server and its outcome says something about the server's health. */
        public boolean countsAsCallFailure() {
            return switch (this) {
                case DISABLED, BUSY, CIRCUIT_OPEN -> false;
                default -> true;
            };
        }
    }

    /**
     * What the model said, verbatim where possible, for an answer that could not be used. Fields the model did not
     * give (or gave in the wrong type) are null; {@code content} is the raw message content, cut to a safe length.
     */
    record RawSuggestion(String action, Integer percent, Double confidence, String explanation, String content) {
    }
}
