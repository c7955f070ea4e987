package dev.rollguard.advisor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.advisor.AdviceRequest.RulesRecommendation;
import dev.rollguard.avro.Action;
import java.util.EnumSet;
import java.util.Set;
import mockwebserver3.MockResponse;

/** Requests and LocalAI responses the tests share. */
final class Fixtures {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Fixtures() {
    }

    static AdviceRequest request(String flag) {
        return request(flag, "control", EnumSet.of(Action.INCREASE, Action.HOLD, Action.ROLLBACK));
    }

    static AdviceRequest request(String flag, String variant, Set<Action> allowed) {
        ArrayNode findings = MAPPER.createArrayNode();
        findings.addObject().put("metric", "error_rate").put("variant", variant).put("verdict", "PASS")
                .put("observed", 0.011).put("baseline", 0.012).put("pValue", 0.41);
        ObjectNode stats = MAPPER.createObjectNode();
        stats.putObject("variants").putObject(variant).put("exposures", 5210).put("errors", 57);
        return new AdviceRequest(flag, "production", 10, 25, allowed,
                new RulesRecommendation(Action.INCREASE, 25, "all guardrails pass"), findings, stats);
    }

    /** A chat completion whose message content is {@code content}. */
    static String completion(String content, String finishReason) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", "chatcmpl-1").put("object", "chat.completion").put("model", "qwen-test");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return root.toString();
    }

    static String answer(String action, Object percent, Object confidence, String explanation) {
        return "{\"action\":\"" + action + "\",\"percent\":" + percent + ",\"confidence\":" + confidence
                + ",\"explanation\":\"" + explanation + "\"}";
    }

    static MockResponse ok(String body) {
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
    }

    static MockResponse okAnswer(String content) {
        return ok(completion(content, "stop"));
    }

    static MockResponse status(int code, String body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body).build();
    }
}
