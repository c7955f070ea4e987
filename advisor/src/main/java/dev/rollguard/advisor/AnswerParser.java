package dev.rollguard.advisor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.advisor.AdviceResult.FailureKind;
import dev.rollguard.advisor.AdviceResult.RawSuggestion;
import dev.rollguard.avro.Action;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Validates a chat completion body into an answer. LocalAI may ignore the schema and generate freely, so every
 * field is checked here; confidence is clamped and explanations truncated because that is harmless, while a bad
 * action or percent is rejected because guessing it would not be.
 */
public final class AnswerParser {

    /** Raw content kept for the audit trail is cut to this many characters. */
    static final int MAX_RAW_CONTENT_CHARS = 4000;

    private final ObjectMapper mapper;
    private final int maxExplanationChars;

    public AnswerParser(ObjectMapper mapper, int maxExplanationChars) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.maxExplanationChars = maxExplanationChars;
    }

    /** The outcome of parsing: either the fields of an answer, or a failure with what the model said. */
    public sealed interface Parsed permits Valid, Invalid {
    }

    public record Valid(Action action, int percent, double confidence, String explanation, List<String> adjustments)
            implements Parsed {
    }

    public record Invalid(FailureKind kind, String reason, RawSuggestion raw) implements Parsed {
    }

    /** Parses a whole {@code /v1/chat/completions} response body. */
    public Parsed parseCompletion(String body) {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            return new Invalid(FailureKind.HTTP_ERROR, "response body is not JSON", null);
        }
        JsonNode choice = root == null ? null : root.path("choices").path(0);
        if (choice == null || !choice.isObject()) {
            return new Invalid(FailureKind.HTTP_ERROR, "response has no choices[0]", null);
        }
        JsonNode contentNode = choice.path("message").path("content");
        String content = contentNode.isTextual() ? contentNode.asText() : null;
        String finishReason = choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : null;
        if ("length".equals(finishReason)) {
            return new Invalid(FailureKind.TRUNCATED,
                    "answer truncated (finish_reason=length): raise maxTokens or shorten the explanation",
                    content == null ? null : bestEffort(content));
        }
        if (content == null || content.isBlank()) {
            return new Invalid(FailureKind.INVALID_ANSWER, "choices[0].message.content is empty", null);
        }
        return parseContent(content);
    }

    /** Parses the model's message content: the answer object itself. */
    public Parsed parseContent(String content) {
        JsonNode answer;
        try {
            answer = mapper.readTree(stripCodeFence(content));
        } catch (JsonProcessingException e) {
            return new Invalid(FailureKind.INVALID_ANSWER, "content is not valid JSON: "
                    + e.getOriginalMessage(), bestEffort(content));
        }
        if (answer == null || !answer.isObject()) {
            return new Invalid(FailureKind.INVALID_ANSWER, "content is JSON but not an object", bestEffort(content));
        }
        RawSuggestion raw = rawOf(answer, content);
        List<String> adjustments = new ArrayList<>();

        JsonNode actionNode = answer.get("action");
        if (actionNode == null || actionNode.isNull()) {
            return invalid("missing field: action", raw);
        }
        if (!actionNode.isTextual()) {
            return invalid("action is not a string: " + abbreviate(actionNode.toString()), raw);
        }
        Action action = actionOf(actionNode.asText());
        if (action == null) {
            return invalid("unknown action: " + abbreviate(actionNode.asText())
                    + " (expected INCREASE, HOLD, ROLLBACK or KILL)", raw);
        }

        JsonNode percentNode = answer.get("percent");
        if (percentNode == null || percentNode.isNull()) {
            return invalid("missing field: percent", raw);
        }
        if (!percentNode.isNumber()) {
            return invalid("percent is not a number: " + abbreviate(percentNode.toString()), raw);
        }
        double percentValue = percentNode.asDouble();
        if (percentValue != Math.rint(percentValue) || Double.isInfinite(percentValue)) {
            return invalid("percent is not an integer: " + percentNode.asText(), raw);
        }
        if (percentValue < 0 || percentValue > 100) {
            return invalid("percent out of range 0..100: " + percentNode.asText(), raw);
        }
        int percent = (int) percentValue;

        JsonNode confidenceNode = answer.get("confidence");
        if (confidenceNode == null || confidenceNode.isNull()) {
            return invalid("missing field: confidence", raw);
        }
        if (!confidenceNode.isNumber()) {
            return invalid("confidence is not a number: " + abbreviate(confidenceNode.toString()), raw);
        }
        double confidence = confidenceNode.asDouble();
        if (confidence < 0.0 || confidence > 1.0) {
            double clamped = Math.max(0.0, Math.min(1.0, confidence));
            adjustments.add("confidence clamped from " + confidenceNode.asText() + " to " + clamped);
            confidence = clamped;
        }

        JsonNode explanationNode = answer.get("explanation");
        if (explanationNode == null || explanationNode.isNull()) {
            return invalid("missing field: explanation", raw);
        }
        if (!explanationNode.isTextual()) {
            return invalid("explanation is not a string", raw);
        }
        String explanation = explanationNode.asText().strip();
        if (explanation.length() > maxExplanationChars) {
            adjustments.add("explanation truncated from " + explanation.length() + " to " + maxExplanationChars + " characters");
            explanation = explanation.substring(0, maxExplanationChars - 1) + "…";
        }
        return new Valid(action, percent, confidence, explanation, adjustments);
    }

    private static Invalid invalid(String reason, RawSuggestion raw) {
        return new Invalid(FailureKind.INVALID_ANSWER, reason, raw);
    }

    /** Case and surrounding blanks are forgiven; anything else is unknown. */
    private static Action actionOf(String text) {
        String name = text.strip().toUpperCase(Locale.ROOT);
        for (Action a : Action.values()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** Models answering without a grammar often wrap JSON in a Markdown fence; removing it changes no value. */
    static String stripCodeFence(String content) {
        String s = content.strip();
        if (s.startsWith("```")) {
            int firstNewline = s.indexOf('\n');
            int lastFence = s.lastIndexOf("```");
            if (firstNewline > 0 && lastFence > firstNewline) {
                return s.substring(firstNewline + 1, lastFence).strip();
            }
        }
        return s;
    }

    /** Extracts what it can from content that failed validation, for the audit trail. */
    private RawSuggestion bestEffort(String content) {
        try {
            JsonNode node = mapper.readTree(stripCodeFence(content));
            if (node != null && node.isObject()) {
                return rawOf(node, content);
            }
        } catch (JsonProcessingException e) {
            // Not JSON (or cut off): the raw content alone is kept.
        }
        return new RawSuggestion(null, null, null, null, abbreviate(content, MAX_RAW_CONTENT_CHARS));
    }

    private RawSuggestion rawOf(JsonNode answer, String content) {
        JsonNode a = answer.get("action");
        JsonNode p = answer.get("percent");
        JsonNode c = answer.get("confidence");
        JsonNode e = answer.get("explanation");
        String action = a == null || a.isNull() ? null : abbreviate(a.isTextual() ? a.asText() : a.toString());
        Integer percent = p != null && p.isNumber() && p.canConvertToInt() && p.asDouble() == Math.rint(p.asDouble())
                ? p.asInt() : null;
        Double confidence = c != null && c.isNumber() ? c.asDouble() : null;
        String explanation = e != null && e.isTextual() ? abbreviate(e.asText(), maxExplanationChars) : null;
        return new RawSuggestion(action, percent, confidence, explanation, abbreviate(content, MAX_RAW_CONTENT_CHARS));
    }

    private static String abbreviate(String s) {
        return abbreviate(s, 80);
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
