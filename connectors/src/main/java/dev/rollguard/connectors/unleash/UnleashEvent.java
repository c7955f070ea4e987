package dev.rollguard.connectors.unleash;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Set;

/** One entry of Unleash's event log (audit trail). {@code environment} is null for flag-wide events such as tags. */
public record UnleashEvent(long id, String type, String createdBy, Instant createdAt, String featureName,
    String project, String environment, JsonNode data) {

  /** Event types that change what a flag serves in one environment: its strategies or its on/off switch. */
  public static final Set<String> STRATEGY_OR_ENVIRONMENT_CHANGES = Set.of(
      "feature-strategy-add", "feature-strategy-update", "feature-strategy-remove",
      "feature-environment-enabled", "feature-environment-disabled");

  public static final String STRATEGY_UPDATE = "feature-strategy-update";
  public static final String ENVIRONMENT_ENABLED = "feature-environment-enabled";
  public static final String ENVIRONMENT_DISABLED = "feature-environment-disabled";
  public static final String TAGGED = "feature-tagged";

  /** Event types after which a flag no longer exists for clients. */
  public static final Set<String> FLAG_GONE = Set.of("feature-archived", "feature-deleted");

  public boolean changesEnvironment(String env) {
    return STRATEGY_OR_ENVIRONMENT_CHANGES.contains(type) && env.equals(environment);
  }

  /** True for events about this environment or about the whole flag (tags, metadata). */
  public boolean concerns(String env) {
    return environment == null || env.equals(environment);
  }

  public boolean isTagging(FlagTag tag) {
    return TAGGED.equals(type) && data != null
        && tag.type().equals(data.path("type").asText()) && tag.value().equals(data.path("value").asText());
  }
}
