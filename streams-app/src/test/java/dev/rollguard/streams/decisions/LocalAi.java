package dev.rollguard.streams.decisions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mockwebserver3.MockResponse;

/** LocalAI (OpenAI chat completion) responses for MockWebServer. */
final class LocalAi {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String MODEL = "qwen-test";

  private LocalAi() {}

  static String completion(String content, String finishReason) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("id", "chatcmpl-1").put("object", "chat.completion").put("model", MODEL);
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", content);
    choice.put("finish_reason", finishReason);
    return root.toString();
  }

  static String answer(String action, Object percent, double confidence, String explanation) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("action", action);
    n.set("percent", MAPPER.valueToTree(percent));
    n.put("confidence", confidence).put("explanation", explanation);
    return n.toString();
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
