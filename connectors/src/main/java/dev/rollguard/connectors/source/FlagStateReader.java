package dev.rollguard.connectors.source;

import dev.rollguard.avro.FlagState;
import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FeatureFlag;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashEvent;
import dev.rollguard.connectors.unleash.UnleashResult;
import dev.rollguard.connectors.unleash.UnleashResult.Failure;
import dev.rollguard.connectors.unleash.UnleashResult.FailureKind;
import dev.rollguard.connectors.unleash.UnleashResult.Ok;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one flag's state in each environment from the Admin API: the flag (on/off, flexibleRollout strategy), its
 * tags (managed, paused) and its latest events (who changed it last, and when).
 */
final class FlagStateReader {
  /** Events read per flag to find the last change in each environment. */
  private static final int RECENT_EVENTS = 100;

  private final UnleashAdminClient unleash;
  private final List<String> environments;

  /** @param environments environments to publish, or empty for all the flag has */
  FlagStateReader(UnleashAdminClient unleash, List<String> environments) {
    this.unleash = unleash;
    this.environments = List.copyOf(environments);
  }

  /** Thrown when Unleash is unavailable (retry at the next poll) or refuses the token (fail the task). */
  static final class ReadFailure extends RuntimeException {
    final boolean retriable;

    ReadFailure(Failure<?> failure) {
      super(failure.message());
      this.retriable = failure.retriable();
    }
  }

  /**
   * The state per environment, keyed by environment; a null value means the flag is gone (archived or deleted)
   * from that environment and gets a tombstone.
   */
  Map<String, FlagState> read(String project, String flagName) {
    UnleashResult<FeatureFlag> result = unleash.getFlag(project, flagName);
    if (result instanceof Failure<FeatureFlag> f && f.kind() == FailureKind.NOT_FOUND
        || result instanceof Ok<FeatureFlag> ok && ok.value().archived()) {
      Map<String, FlagState> gone = new LinkedHashMap<>();
      (environments.isEmpty() ? value(unleash.listEnvironments()) : environments).forEach(e -> gone.put(e, null));
      return gone;
    }
    FeatureFlag flag = value(result);
    List<FlagTag> tags = value(unleash.getTags(flagName));
    List<UnleashEvent> events = value(unleash.searchEvents(flagName, null, 0, RECENT_EVENTS));
    Map<String, FlagState> states = new LinkedHashMap<>();
    for (FeatureEnvironment env : flag.environments()) {
      if (!environments.isEmpty() && !environments.contains(env.name())) {
        continue;
      }
      Strategy strategy = env.flexibleRollout().orElse(null);
      UnleashEvent last = events.stream().filter(e -> e.concerns(env.name())).findFirst().orElse(null);
      states.put(env.name(), FlagState.newBuilder()
          .setFlag(flag.name())
          .setEnvironment(env.name())
          .setProject(flag.project())
          .setEnabled(env.enabled())
          .setRolloutPercent(strategy == null ? null : strategy.rolloutPercent())
          .setStrategyId(strategy == null ? null : strategy.id())
          .setManaged(FlagTag.isManaged(tags))
          .setPaused(FlagTag.isPaused(tags))
          .setLastChangedBy(last == null ? null : last.createdBy())
          .setLastChangedAt(last == null ? null : last.createdAt())
          .setLastEventId(last == null ? null : last.id())
          .build());
    }
    return states;
  }

  /** Flag names in a project (archived flags are not listed). */
  List<String> flags(String project) {
    return new ArrayList<>(value(unleash.listFlags(project)));
  }

  /** Events of a project newer than {@code afterId}, newest first; stops after {@code max} events. */
  List<UnleashEvent> eventsAfter(String project, long afterId, int max) {
    List<UnleashEvent> newer = new ArrayList<>();
    int page = 100;
    while (newer.size() < max) {
      List<UnleashEvent> events = value(unleash.searchEvents(null, project, newer.size(), page));
      for (UnleashEvent e : events) {
        if (e.id() <= afterId) {
          return newer;
        }
        newer.add(e);
      }
      if (events.size() < page) {
        break;
      }
    }
    return newer;
  }

  /** The id of the project's newest event, or 0 when it has none. */
  long newestEventId(String project) {
    List<UnleashEvent> newest = value(unleash.searchEvents(null, project, 0, 1));
    return newest.isEmpty() ? 0 : newest.get(0).id();
  }

  private static <T> T value(UnleashResult<T> result) {
    if (result instanceof Ok<T> ok) {
      return ok.value();
    }
    throw new ReadFailure((Failure<?>) result);
  }
}
