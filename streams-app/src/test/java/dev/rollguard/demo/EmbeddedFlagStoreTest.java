package dev.rollguard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FeatureFlag;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashEvent;
import dev.rollguard.connectors.unleash.UnleashResult;
import dev.rollguard.connectors.unleash.UnleashResult.Failure;
import dev.rollguard.connectors.unleash.UnleashResult.FailureKind;
import dev.rollguard.dev.EmbeddedFlagStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The in-process flag store, driven by the connectors' real {@link UnleashAdminClient}: every call the applier and
 * the flag-state source make must get the answer shape Unleash gives.
 */
class EmbeddedFlagStoreTest {
  private static final String APPLIER_TOKEN = "*:*.applier-test-token";
  private static final String HUMAN_TOKEN = "*:*.human-test-token";
  private static final String PROJECT = "default";
  private static final String ENV = "production";

  private EmbeddedFlagStore store;
  private UnleashAdminClient applier;
  private UnleashAdminClient human;

  @BeforeEach
  void start() {
    store = EmbeddedFlagStore.start(Map.of(APPLIER_TOKEN, "rollguard-applier", HUMAN_TOKEN, "alice"),
        List.of("development", ENV));
    applier = client(APPLIER_TOKEN);
    human = client(HUMAN_TOKEN);
  }

  @AfterEach
  void stop() {
    store.close();
  }

  private UnleashAdminClient client(String token) {
    return new UnleashAdminClient(UnleashAdminClient.defaultHttpClient(Duration.ofSeconds(5)), store.url(), token);
  }

  private String flagWithRollout(String name, int percent) {
    assertThat(human.createFlag(PROJECT, name).isOk()).isTrue();
    assertThat(human.addFlexibleRollout(PROJECT, name, ENV, percent).isOk()).isTrue();
    assertThat(human.setEnvironmentEnabled(PROJECT, name, ENV, true).isOk()).isTrue();
    return name;
  }

  private FeatureEnvironment environment(String flag) {
    return applier.getFlag(PROJECT, flag).value().environment(ENV).orElseThrow();
  }

  @Test
  void anUnknownTokenIsUnauthorizedAndNeverEchoed() {
    UnleashResult<String> result = client("*:*.wrong").whoAmI();

    assertThat(result).isInstanceOf(Failure.class);
    Failure<String> failure = (Failure<String>) result;
    assertThat(failure.kind()).isEqualTo(FailureKind.UNAUTHORIZED);
    assertThat(failure.status()).isEqualTo(401);
    assertThat(String.valueOf(failure.body())).doesNotContain("wrong");
  }

  @Test
  void whoAmINamesTheTokensUser() {
    assertThat(applier.whoAmI().value()).isEqualTo("rollguard-applier");
    assertThat(human.whoAmI().value()).isEqualTo("alice");
  }

  @Test
  void aNewFlagHasEveryEnvironmentOffThenTheStrategyAndSwitchAsSet() {
    assertThat(human.createFlag(PROJECT, "checkout").isOk()).isTrue();
    FeatureFlag fresh = applier.getFlag(PROJECT, "checkout").value();
    assertThat(fresh.environments()).extracting(FeatureEnvironment::name).containsExactly("development", ENV);
    assertThat(fresh.environments()).allSatisfy(e -> {
      assertThat(e.enabled()).isFalse();
      assertThat(e.strategies()).isEmpty();
    });

    Strategy added = human.addFlexibleRollout(PROJECT, "checkout", ENV, 10).value();
    assertThat(human.setEnvironmentEnabled(PROJECT, "checkout", ENV, true).isOk()).isTrue();

    FeatureEnvironment env = environment("checkout");
    assertThat(env.enabled()).isTrue();
    Strategy strategy = env.flexibleRollout().orElseThrow();
    assertThat(strategy.id()).isEqualTo(added.id()).isNotBlank();
    assertThat(strategy.rolloutPercent()).isEqualTo(10);
    assertThat(strategy.parameters()).containsEntry("stickiness", "default").containsEntry("groupId", "checkout");
    assertThat(store.rolloutPercent("checkout", ENV)).contains(10);
    assertThat(store.isEnabled("checkout", ENV)).isTrue();
  }

  @Test
  void creatingAnExistingFlagIsAConflict() {
    flagWithRollout("dup", 10);
    UnleashResult<Void> again = human.createFlag(PROJECT, "dup");
    assertThat(((Failure<Void>) again).kind()).isEqualTo(FailureKind.CONFLICT);
  }

  @Test
  void setRolloutPatchesOnlyTheRolloutAndTitleAndKeepsTheRest() {
    flagWithRollout("patched", 10);
    Strategy before = environment("patched").flexibleRollout().orElseThrow();

    Strategy after = applier.setRollout(PROJECT, "patched", ENV, before.id(), 25, "Rollguard 25% | decision d1").value();

    assertThat(after.id()).isEqualTo(before.id());
    assertThat(after.rolloutPercent()).isEqualTo(25);
    assertThat(after.title()).isEqualTo("Rollguard 25% | decision d1");
    assertThat(after.parameters()).containsEntry("stickiness", "default").containsEntry("groupId", "patched");
    assertThat(environment("patched").flexibleRollout().orElseThrow().rolloutPercent()).isEqualTo(25);
  }

  @Test
  void theClientRefusesAPercentOutsideTheRangeBeforeAnyCall() {
    flagWithRollout("range", 10);
    String id = environment("range").flexibleRollout().orElseThrow().id();
    int eventsBefore = store.events().size();

    UnleashResult<Strategy> result = applier.setRollout(PROJECT, "range", ENV, id, 150, null);

    assertThat(((Failure<Strategy>) result).kind()).isEqualTo(FailureKind.INVALID);
    assertThat(store.events()).hasSize(eventsBefore);
  }

  @Test
  void unknownFlagsStrategiesAndEnvironmentsAreNotFound() {
    flagWithRollout("known", 10);
    assertThat(((Failure<FeatureFlag>) applier.getFlag(PROJECT, "unknown")).kind()).isEqualTo(FailureKind.NOT_FOUND);
    assertThat(((Failure<Strategy>) applier.setRollout(PROJECT, "known", ENV, "no-such-id", 20, null)).kind())
        .isEqualTo(FailureKind.NOT_FOUND);
    assertThat(((Failure<Void>) applier.setEnvironmentEnabled(PROJECT, "known", "staging", false)).kind())
        .isEqualTo(FailureKind.NOT_FOUND);
    assertThat(((Failure<FeatureFlag>) applier.getFlag("other-project", "known")).kind())
        .isEqualTo(FailureKind.NOT_FOUND);
  }

  @Test
  void theKillSwitchTurnsTheEnvironmentOffAndLogsWhoDidIt() {
    flagWithRollout("killable", 50);

    assertThat(applier.setEnvironmentEnabled(PROJECT, "killable", ENV, false).isOk()).isTrue();

    assertThat(environment("killable").enabled()).isFalse();
    UnleashEvent newest = applier.searchEvents("killable", null, 0, 1).value().get(0);
    assertThat(newest.type()).isEqualTo(UnleashEvent.ENVIRONMENT_DISABLED);
    assertThat(newest.createdBy()).isEqualTo("rollguard-applier");
    assertThat(newest.environment()).isEqualTo(ENV);
  }

  @Test
  void tagsAreAddedListedAndRemovedAndTheTagTypeIsIdempotent() {
    flagWithRollout("tagged", 10);
    assertThat(human.ensureTagType(FlagTag.TYPE, "Rollguard").isOk()).isTrue();
    assertThat(human.ensureTagType(FlagTag.TYPE, "Rollguard").isOk()).isTrue();

    assertThat(human.addTag("tagged", FlagTag.MANAGED).isOk()).isTrue();
    assertThat(human.addTag("tagged", FlagTag.PAUSED).isOk()).isTrue();
    assertThat(applier.getTags("tagged").value()).containsExactly(FlagTag.MANAGED, FlagTag.PAUSED);

    assertThat(human.removeTag("tagged", FlagTag.PAUSED).isOk()).isTrue();
    assertThat(applier.getTags("tagged").value()).containsExactly(FlagTag.MANAGED);
    UnleashEvent tagging = applier.searchEvents("tagged", null, 0, 10).value().stream()
        .filter(e -> e.isTagging(FlagTag.MANAGED)).findFirst().orElseThrow();
    assertThat(tagging.createdBy()).isEqualTo("alice");
    assertThat(tagging.environment()).isNull();
  }

  @Test
  void theEventLogIsNewestFirstWithStrategyDataFilteredAndPaged() {
    flagWithRollout("logged", 10);
    flagWithRollout("other", 10);
    String id = environment("logged").flexibleRollout().orElseThrow().id();
    applier.setRollout(PROJECT, "logged", ENV, id, 25, "Rollguard 25%");
    human.setRollout(PROJECT, "logged", ENV, id, 40, null);

    List<UnleashEvent> events = applier.searchEvents("logged", null, 0, 100).value();

    assertThat(events).extracting(UnleashEvent::type).containsExactly("feature-strategy-update",
        "feature-strategy-update", "feature-environment-enabled", "feature-strategy-add", "feature-created");
    assertThat(events).extracting(UnleashEvent::id).isSortedAccordingTo((a, b) -> Long.compare(b, a));
    assertThat(events).allSatisfy(e -> assertThat(e.featureName()).isEqualTo("logged"));
    UnleashEvent humanEdit = events.get(0);
    assertThat(humanEdit.createdBy()).isEqualTo("alice");
    assertThat(humanEdit.changesEnvironment(ENV)).isTrue();
    assertThat(humanEdit.data().path("parameters").path("rollout").asText()).isEqualTo("40");
    assertThat(humanEdit.data().path("id").asText()).isEqualTo(id);
    UnleashEvent applierEdit = events.get(1);
    assertThat(applierEdit.createdBy()).isEqualTo("rollguard-applier");
    assertThat(applierEdit.data().path("title").asText()).isEqualTo("Rollguard 25%");
    assertThat(applierEdit.createdAt()).isBeforeOrEqualTo(humanEdit.createdAt());

    assertThat(applier.searchEvents("logged", null, 1, 2).value()).extracting(UnleashEvent::id)
        .containsExactly(events.get(1).id(), events.get(2).id());
    assertThat(applier.searchEvents(null, PROJECT, 0, 1000).value()).hasSize(events.size() + 3);
    assertThat(applier.searchEvents(null, "other-project", 0, 10).value()).isEmpty();
  }

  @Test
  void anArchivedFlagIsGoneFromReadsAndListings() {
    flagWithRollout("keep", 10);
    flagWithRollout("gone", 10);
    assertThat(applier.listFlags(PROJECT).value()).containsExactly("keep", "gone");

    assertThat(human.archiveFlag(PROJECT, "gone").isOk()).isTrue();

    assertThat(applier.listFlags(PROJECT).value()).containsExactly("keep");
    assertThat(((Failure<FeatureFlag>) applier.getFlag(PROJECT, "gone")).kind()).isEqualTo(FailureKind.NOT_FOUND);
    assertThat(applier.searchEvents("gone", null, 0, 1).value().get(0).type()).isEqualTo("feature-archived");
  }

  @Test
  void environmentsAreListed() {
    assertThat(applier.listEnvironments().value()).containsExactly("development", ENV);
  }

  @Test
  void oddFlagNamesArePercentEncodedAndRoundTrip() {
    String name = "search ranking+v2:ß";
    flagWithRollout(name, 5);
    assertThat(applier.getFlag(PROJECT, name).value().name()).isEqualTo(name);
    assertThat(store.rolloutPercent(name, ENV)).contains(5);
  }
}
