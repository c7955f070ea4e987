package dev.rollguard.streams.decisions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.avro.FlagWindowStats;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link StepProgress} in the stage's store and changelog: a small JSON document, readable with kafka-console-consumer.
 * The cumulative statistics are the window-stats value bytes (Schema Registry wire format, written as the
 * window-stats topic's subject), base64-encoded, so they evolve with the contract like the topic itself; so is the
 * historical baseline.
 *
 * <p>Versions: {@code v} changes only for a change an older reader would misread. Fields added since are optional and
 * absent when null: {@code baseline} (the historical baseline) came later within version 1, so a document written
 * before it decodes with no baseline, and an older reader ignores it (it drops the baseline, the behaviour of its
 * time).
 */
public final class StepProgressSerde implements Serde<StepProgress> {
  static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Serde<FlagWindowStats> windowStats;
  private final String windowStatsTopic;

  public StepProgressSerde(Serde<FlagWindowStats> windowStats, String windowStatsTopic) {
    this.windowStats = windowStats;
    this.windowStatsTopic = windowStatsTopic;
  }

  @Override
  public Serializer<StepProgress> serializer() {
    return (topic, p) -> p == null ? null : encode(p);
  }

  @Override
  public Deserializer<StepProgress> deserializer() {
    return (topic, bytes) -> bytes == null ? null : decode(bytes);
  }

  byte[] encode(StepProgress p) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("v", VERSION);
    if (p.cumulative() != null) {
      n.put("cumulative", encodeStats(p.cumulative()));
    }
    if (p.stepPercent() != null) {
      n.put("stepPercent", p.stepPercent());
    }
    n.put("percentKnown", p.percentKnown());
    n.put("windowsAtStep", p.windowsAtStep());
    n.put("windowsSinceLastChange", p.windowsSinceLastChange());
    if (p.lastStatePercent() != null) {
      n.put("lastStatePercent", p.lastStatePercent());
    }
    if (p.lastStateEventId() != null) {
      n.put("lastStateEventId", p.lastStateEventId());
    }
    if (p.lastStateEnabled() != null) {
      n.put("lastStateEnabled", p.lastStateEnabled());
    }
    if (p.lastDecidedWindowEnd() != null) {
      n.put("lastDecidedWindowEndMs", p.lastDecidedWindowEnd().toEpochMilli());
    }
    if (p.baseline() != null) {
      n.put("baseline", encodeStats(p.baseline()));
    }
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new SerializationException("cannot encode step progress", e);
    }
  }

  StepProgress decode(byte[] bytes) {
    JsonNode n;
    try {
      n = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new SerializationException("step progress is not JSON", e);
    }
    if (n == null || n.path("v").asInt(-1) != VERSION) {
      throw new SerializationException("unsupported step progress version: " + (n == null ? null : n.get("v")));
    }
    FlagWindowStats cumulative = decodeStats(n, "cumulative");
    return new StepProgress(cumulative,
        n.hasNonNull("stepPercent") ? n.get("stepPercent").asInt() : null,
        n.path("percentKnown").asBoolean(false),
        n.path("windowsAtStep").asInt(0),
        n.path("windowsSinceLastChange").asInt(0),
        n.hasNonNull("lastStatePercent") ? n.get("lastStatePercent").asInt() : null,
        n.hasNonNull("lastStateEventId") ? n.get("lastStateEventId").asLong() : null,
        n.hasNonNull("lastStateEnabled") ? n.get("lastStateEnabled").asBoolean() : null,
        n.hasNonNull("lastDecidedWindowEndMs") ? Instant.ofEpochMilli(n.get("lastDecidedWindowEndMs").asLong()) : null,
        decodeStats(n, "baseline"));
  }

  private String encodeStats(FlagWindowStats stats) {
    return Base64.getEncoder().encodeToString(windowStats.serializer().serialize(windowStatsTopic, stats));
  }

  private FlagWindowStats decodeStats(JsonNode n, String field) {
    return n.hasNonNull(field)
        ? windowStats.deserializer().deserialize(windowStatsTopic, Base64.getDecoder().decode(n.get(field).asText()))
        : null;
  }
}
