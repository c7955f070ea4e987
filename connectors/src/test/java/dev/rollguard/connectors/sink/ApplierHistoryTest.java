package dev.rollguard.connectors.sink;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApplierHistoryTest {
  private static final String ENV = "production";
  private static final String APPLIER = "rollguard-applier";
  private static final Instant WINDOW = Instant.parse("2026-11-24T06:30:00Z");

  /** Events are listed oldest first here for readability; the log is read newest first. */
  private final List<UnleashEvent> log = new ArrayList<>();

  @Test
  void theTitleTheApplierWritesIsReadBack() {
    applierWrites(25, "d-1", WINDOW);

    ApplierHistory history = history();

    assertThat(history.lastRollout().decisionId()).isEqualTo("d-1");
    assertThat(history.lastRollout().windowEnd()).isEqualTo(WINDOW);
    assertThat(history.lastRollout().percent()).isEqualTo(25);
    assertThat(history.lastRollout().strategyId()).isEqualTo("s1");
  }

  @Test
  void aFlagTheApplierNeverWroteHasNoOverride() {
    strategyChange("alice", 40, null);

    assertThat(history().standingOverride(env(true, 40))).isEmpty();
    assertThat(history().lastChangeByOther(APPLIER)).isTrue();
  }

  @Test
  void aHumanRolloutChangeAfterTheApplierWriteIsAnOverrideWhileItStands() {
    applierWrites(25, "d-1", WINDOW);
    strategyChange("alice", 40, null);

    assertThat(history().standingOverride(env(true, 40))).get().extracting(UnleashEvent::createdBy)
        .isEqualTo("alice");
    // Put back to what the applier wrote: nothing of the human's change stands.
    assertThat(history().standingOverride(env(true, 25))).isEmpty();
  }

  @Test
  void aHumanSwitchingTheEnvironmentOffIsAnOverrideWhileItIsOff() {
    applierWrites(25, "d-1", WINDOW);
    log.add(event("feature-environment-disabled", "alice", ENV, null));

    assertThat(history().standingOverride(env(false, 25))).isPresent();
    assertThat(history().standingOverride(env(true, 25))).isEmpty();
  }

  @Test
  void reTaggingTheFlagManagedHandsItBack() {
    applierWrites(25, "d-1", WINDOW);
    strategyChange("alice", 40, null);
    ObjectNode tag = JsonNodeFactory.instance.objectNode().put("type", "rollguard").put("value", "managed");
    log.add(event("feature-tagged", "alice", null, tag));

    assertThat(history().standingOverride(env(true, 40))).isEmpty();
  }

  @Test
  void changesInOtherEnvironmentsAndByTheApplierAreNotOverrides() {
    applierWrites(25, "d-1", WINDOW);
    log.add(event("feature-strategy-update", "alice", "development", strategyData(90, null)));
    log.add(event("feature-environment-enabled", APPLIER, ENV, null));

    assertThat(history().standingOverride(env(true, 25))).isEmpty();
  }

  @Test
  void humanEditsKeepingTheApplierTitleAreNotMistakenForTheApplier() {
    applierWrites(25, "d-1", WINDOW);
    strategyChange("alice", 40, ApplierHistory.title(25, "d-1", WINDOW));

    ApplierHistory history = history();

    assertThat(history.lastRollout().eventId()).isEqualTo(1);
    assertThat(history.standingOverride(env(true, 40))).isPresent();
  }

  private void applierWrites(int percent, String decisionId, Instant windowEnd) {
    log.add(event("feature-strategy-update", APPLIER, ENV,
        strategyData(percent, ApplierHistory.title(percent, decisionId, windowEnd))));
  }

  private void strategyChange(String who, int percent, String title) {
    log.add(event("feature-strategy-update", who, ENV, strategyData(percent, title)));
  }

  private ApplierHistory history() {
    List<UnleashEvent> newestFirst = new ArrayList<>(log);
    java.util.Collections.reverse(newestFirst);
    return ApplierHistory.from(newestFirst, ENV, APPLIER);
  }

  private UnleashEvent event(String type, String who, String env, JsonNode data) {
    long id = log.size() + 1;
    return new UnleashEvent(id, type, who, Instant.ofEpochSecond(1_800_000_000L + id), "f", "default", env, data);
  }

  private static JsonNode strategyData(int percent, String title) {
    ObjectNode data = JsonNodeFactory.instance.objectNode().put("id", "s1").put("name", "flexibleRollout")
        .put("title", title);
    data.putObject("parameters").put("rollout", Integer.toString(percent));
    return data;
  }

  private static FeatureEnvironment env(boolean enabled, int percent) {
    return new FeatureEnvironment(ENV, enabled,
        List.of(new Strategy("s1", "flexibleRollout", null, false, 0, Map.of("rollout", Integer.toString(percent)))));
  }
}
