package dev.rollguard.simulate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollguard.avro.Advice;
import dev.rollguard.avro.Finding;
import dev.rollguard.avro.RolloutDecision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One decision as the JSON line {@code rollguard simulate} prints; field order is fixed so output is comparable. */
public final class DecisionJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DecisionJson() {}

  public static String line(SimulatedDecision simulated) {
    RolloutDecision d = simulated.decision();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("window", simulated.window());
    json.put("flag", d.getFlag());
    json.put("environment", d.getEnvironment());
    json.put("windowStart", d.getWindowStart().toString());
    json.put("windowEnd", d.getWindowEnd().toString());
    json.put("action", d.getAction().name());
    json.put("fromPercent", d.getFromPercent());
    json.put("toPercent", d.getToPercent());
    json.put("decidedBy", d.getDecidedBy().name());
    json.put("mode", d.getMode().name());
    json.put("reason", d.getReason());
    json.put("findings", findings(d.getFindings()));
    json.put("confidence", d.getConfidence());
    json.put("decisionId", d.getDecisionId());
    json.put("createdAt", d.getCreatedAt().toString());
    if (d.getAdvice() != null) {
      json.put("advice", advice(d.getAdvice()));
    }
    try {
      return MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a decision as JSON", e);
    }
  }

  private static List<Map<String, Object>> findings(List<Finding> findings) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Finding f : findings) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("metric", f.getMetric());
      json.put("variant", f.getVariant());
      json.put("verdict", f.getVerdict());
      json.put("observed", f.getObserved());
      json.put("baseline", f.getBaseline());
      json.put("threshold", f.getThreshold());
      json.put("pValue", f.getPValue());
      out.add(json);
    }
    return out;
  }

  private static Map<String, Object> advice(Advice a) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", a.getModel());
    json.put("latencyMs", a.getLatencyMs());
    json.put("suggestedAction", a.getSuggestedAction());
    json.put("suggestedPercent", a.getSuggestedPercent());
    json.put("explanation", a.getExplanation());
    return json;
  }
}
