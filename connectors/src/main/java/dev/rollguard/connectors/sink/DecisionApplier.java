package dev.rollguard.connectors.sink;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FeatureFlag;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashEvent;
import dev.rollguard.connectors.unleash.UnleashResult;
import dev.rollguard.connectors.unleash.UnleashResult.Failure;
import dev.rollguard.connectors.unleash.UnleashResult.Ok;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies one {@link RolloutDecision} to Unleash, or says why not. The order of the checks is the policy:
 * <ol>
 *   <li>the decision itself: advisory and HOLD change nothing; percents must be within 0..100;</li>
 *   <li>the flag: it must exist in a configured project and environment; {@code rollguard:paused} and a missing
 *       {@code rollguard:managed} tag skip it;</li>
 *   <li>the applier's memory, read from the event log: the same decision already written, or a later one, skips it;
 *       a human change that still stands after the applier's last write skips it ("human override");</li>
 *   <li>the current value: already there skips it; a rollout other than the decision's {@code fromPercent} means the
 *       decision was made on a state that no longer holds, and it is skipped as stale.</li>
 * </ol>
 * Only then does it write, once. 429/5xx and network errors throw {@link UnleashUnavailableException} before any
 * write, or leave the write to be recognized by the checks above when the decision is retried.
 */
final class DecisionApplier {
  /** The event log is read in pages of this size, back to the applier's last rollout write or this many events. */
  private static final int EVENT_PAGE = 100;
  private static final int MAX_EVENTS = 1000;

  private final UnleashAdminClient unleash;
  private final List<String> projects;
  private final boolean dryRun;
  private String applier;

  DecisionApplier(UnleashAdminClient unleash, List<String> projects, boolean dryRun) {
    this.unleash = unleash;
    this.projects = List.copyOf(projects);
    this.dryRun = dryRun;
  }

  ApplyResult apply(RolloutDecision d) {
    Action action = d.getAction();
    Integer from = d.getFromPercent();
    Integer to = d.getToPercent();
    String invalid = validate(d);
    if (invalid != null) {
      return ApplyResult.failed("invalid decision: " + invalid, from, to, null, null);
    }
    if (d.getMode() == Mode.ADVISORY) {
      return ApplyResult.skipped("skipped: advisory decision, changes nothing", from, to);
    }
    if (action == Action.HOLD) {
      return ApplyResult.skipped("skipped: hold changes nothing", from, to);
    }

    Step<String> me = applierName();
    if (me.stop != null) {
      return me.stop;
    }
    Step<FeatureFlag> found = findFlag(d.getFlag());
    if (found.stop != null) {
      return found.stop;
    }
    FeatureFlag flag = found.value;
    Optional<FeatureEnvironment> maybeEnv = flag.environment(d.getEnvironment());
    if (maybeEnv.isEmpty()) {
      return ApplyResult.failed("invalid decision: flag " + flag.name() + " has no environment "
          + d.getEnvironment(), from, to, null, null);
    }
    FeatureEnvironment env = maybeEnv.get();
    Strategy strategy = env.flexibleRollout().orElse(null);
    Integer current = strategy == null ? null : strategy.rolloutPercent();

    Step<List<FlagTag>> tags = check(unleash.getTags(flag.name()), current, to);
    if (tags.stop != null) {
      return tags.stop;
    }
    if (FlagTag.isPaused(tags.value)) {
      return ApplyResult.skipped("skipped: paused (tag rollguard:paused)", current, current);
    }
    if (!FlagTag.isManaged(tags.value)) {
      return ApplyResult.skipped("skipped: not managed (no tag rollguard:managed)", current, current);
    }
    if (action != Action.KILL && (strategy == null || current == null)) {
      return ApplyResult.failed("invalid decision: " + flag.name() + " has no flexibleRollout strategy with a"
          + " numeric rollout in " + env.name(), current, to, null, null);
    }

    Step<ApplierHistory> read = history(flag.name(), env.name(), me.value, current, to);
    if (read.stop != null) {
      return read.stop;
    }
    ApplierHistory history = read.value;
    ApplierHistory.AppliedRollout last = history.lastRollout();
    if (last != null && last.decisionId().equals(d.getDecisionId())) {
      return ApplyResult.skipped("skipped: already applied (event " + last.eventId() + ")", current, current);
    }
    if (last != null && !d.getWindowEnd().isAfter(last.windowEnd())) {
      return ApplyResult.skipped("skipped: superseded by decision " + last.decisionId() + " for the window ending "
          + last.windowEnd(), current, current);
    }
    Optional<UnleashEvent> override = history.standingOverride(env);
    if (override.isPresent()) {
      return ApplyResult.skipped(humanOverride(override.get()), current, current);
    }

    return action == Action.KILL ? kill(flag, env, current) : setRollout(d, flag, env, strategy, history);
  }

  private ApplyResult kill(FeatureFlag flag, FeatureEnvironment env, Integer current) {
    if (!env.enabled()) {
      return ApplyResult.skipped("skipped: already applied (" + env.name() + " is off)", current, current);
    }
    if (dryRun) {
      return ApplyResult.dryRun("dry run: would turn " + flag.name() + " off in " + env.name(), current, current);
    }
    UnleashResult<Void> off = unleash.setEnvironmentEnabled(flag.project(), flag.name(), env.name(), false);
    if (off instanceof Ok<Void> ok) {
      return ApplyResult.applied("applied: turned off in " + env.name(), current, current, ok.status(), ok.body());
    }
    return failure((Failure<Void>) off, current, current);
  }

  private ApplyResult setRollout(RolloutDecision d, FeatureFlag flag, FeatureEnvironment env, Strategy strategy,
      ApplierHistory history) {
    int current = strategy.rolloutPercent();
    int to = d.getToPercent();
    if (current == to) {
      return ApplyResult.skipped("skipped: already applied (rollout is " + current + "%)", current, current);
    }
    if (current != d.getFromPercent()) {
      if (history.lastChangeByOther(applier)) {
        return ApplyResult.skipped(humanOverride(history.lastChange()), current, current);
      }
      return ApplyResult.skipped("skipped: stale: Unleash has " + current + "%, the decision was made at "
          + d.getFromPercent() + "%", current, current);
    }
    if (dryRun) {
      return ApplyResult.dryRun("dry run: would set rollout " + current + "% -> " + to + "%", current, to);
    }
    String title = ApplierHistory.title(to, d.getDecisionId(), d.getWindowEnd());
    UnleashResult<Strategy> patched =
        unleash.setRollout(flag.project(), flag.name(), env.name(), strategy.id(), to, title);
    if (patched instanceof Ok<Strategy> ok) {
      return ApplyResult.applied("applied: rollout " + current + "% -> " + to + "%", current, to, ok.status(),
          ok.body());
    }
    return failure((Failure<Strategy>) patched, current, to);
  }

  private static String validate(RolloutDecision d) {
    if (!UnleashAdminClient.isValidName(d.getFlag())) {
      return "flag name '" + d.getFlag() + "' is not a valid Unleash name";
    }
    if (!UnleashAdminClient.isValidName(d.getEnvironment())) {
      return "environment '" + d.getEnvironment() + "' is not a valid Unleash name";
    }
    if (d.getFromPercent() < 0 || d.getFromPercent() > 100) {
      return "fromPercent " + d.getFromPercent() + " is outside 0..100";
    }
    if (d.getToPercent() < 0 || d.getToPercent() > 100) {
      return "toPercent " + d.getToPercent() + " is outside 0..100";
    }
    if (d.getAction() == Action.INCREASE && d.getToPercent() <= d.getFromPercent()) {
      return "INCREASE must raise the rollout, but goes " + d.getFromPercent() + "% -> " + d.getToPercent() + "%";
    }
    if (d.getAction() == Action.ROLLBACK && d.getToPercent() >= d.getFromPercent()) {
      return "ROLLBACK must lower the rollout, but goes " + d.getFromPercent() + "% -> " + d.getToPercent() + "%";
    }
    return null;
  }

  private static String humanOverride(UnleashEvent change) {
    return "skipped: human override (" + change.createdBy() + ", " + change.type() + " at " + change.createdAt()
        + ", event " + change.id() + ")";
  }

  /** The name Unleash records for the applier's own changes, asked once per task. */
  private Step<String> applierName() {
    if (applier != null) {
      return Step.of(applier);
    }
    Step<String> me = check(unleash.whoAmI(), null, null);
    if (me.value != null) {
      applier = me.value;
    }
    return me;
  }

  private Step<FeatureFlag> findFlag(String name) {
    for (String project : projects) {
      UnleashResult<FeatureFlag> result = unleash.getFlag(project, name);
      if (result instanceof Ok<FeatureFlag> ok && !ok.value().archived()) {
        return Step.of(ok.value());
      }
      if (result instanceof Failure<FeatureFlag> f && f.kind() != UnleashResult.FailureKind.NOT_FOUND) {
        return Step.stop(failure(f, null, null));
      }
    }
    return Step.stop(ApplyResult.failed("invalid decision: no flag " + name + " in project(s) " + projects, null,
        null, 404, null));
  }

  private Step<ApplierHistory> history(String flag, String env, String me, Integer current, Integer to) {
    List<UnleashEvent> events = new ArrayList<>();
    while (events.size() < MAX_EVENTS) {
      UnleashResult<List<UnleashEvent>> page = unleash.searchEvents(flag, null, events.size(), EVENT_PAGE);
      Step<List<UnleashEvent>> step = check(page, current, to);
      if (step.stop != null) {
        return Step.stop(step.stop);
      }
      events.addAll(step.value);
      if (step.value.size() < EVENT_PAGE || !ApplierHistory.needsOlderEvents(events, env, me)) {
        break;
      }
    }
    return Step.of(ApplierHistory.from(events, env, me));
  }

  private <T> Step<T> check(UnleashResult<T> result, Integer from, Integer to) {
    if (result instanceof Ok<T> ok) {
      return Step.of(ok.value());
    }
    return Step.stop(failure((Failure<T>) result, from, to));
  }

  /** Retriable failures throw (Connect retries the batch); the rest become a FAILED, dead-lettered result. */
  private static ApplyResult failure(Failure<?> f, Integer from, Integer to) {
    if (f.retriable()) {
      throw new UnleashUnavailableException(f.message());
    }
    String what = switch (f.kind()) {
      case UNAUTHORIZED -> "Unleash rejected the admin token (401 Unauthorized); check unleash.token";
      case FORBIDDEN -> "the admin token may not do this (403 Forbidden); it needs admin rights on the project";
      case NOT_FOUND -> "Unleash has no such flag, environment or strategy (404)";
      case CONFLICT -> "Unleash refused the change because of the flag's state (409 Conflict)";
      case INVALID -> "invalid request";
      default -> "Unleash refused the request (" + f.status() + ")";
    };
    return ApplyResult.failed("failed: " + what + ": " + f.message(), from, to, f.status() == 0 ? null : f.status(),
        f.body());
  }

  /** Either a value to go on with, or the result to stop with. */
  private record Step<T>(T value, ApplyResult stop) {
    static <T> Step<T> of(T value) {
      return new Step<>(value, null);
    }

    static <T> Step<T> stop(ApplyResult stop) {
      return new Step<>(null, stop);
    }
  }
}
