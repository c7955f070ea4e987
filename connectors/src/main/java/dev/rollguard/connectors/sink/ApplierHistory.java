package dev.rollguard.connectors.sink;

import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashEvent;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The applier's memory of one flag in one environment, read back from Unleash's event log, so it survives restarts
 * and is shared by every task: the applier's last write there, the decision it last applied (the applier writes the
 * decision id and window into the strategy title in the same JSON Patch), and the changes other people made since.
 *
 * @param lastWrite the applier's latest strategy or on/off change in the environment, or null
 * @param lastRollout the applier's latest rollout write carrying a decision title, or null
 * @param changesByOthers strategy or on/off changes by anyone else after {@code lastWrite} and after the last time
 *     a human handed the flag back (re-tagged it {@code rollguard:managed}), newest first
 * @param lastChange the latest strategy or on/off change in the environment by anyone, or null
 */
record ApplierHistory(UnleashEvent lastWrite, AppliedRollout lastRollout, List<UnleashEvent> changesByOthers,
    UnleashEvent lastChange) {

  /** The decision behind the applier's latest rollout write, parsed from the strategy title it wrote. */
  record AppliedRollout(String decisionId, Instant windowEnd, String strategyId, Integer percent, long eventId) {}

  private static final Pattern TITLE = Pattern.compile("decision (\\S+) \\| window end (\\S+)");

  /** The strategy title the applier writes with each rollout change: readable in the UI, parseable here. */
  static String title(int percent, String decisionId, Instant windowEnd) {
    return "Rollguard " + percent + "% | decision " + decisionId + " | window end " + windowEnd;
  }

  static Optional<AppliedRollout> parseRollout(UnleashEvent event) {
    if (event.data() == null) {
      return Optional.empty();
    }
    Matcher m = TITLE.matcher(event.data().path("title").asText(""));
    if (!m.find()) {
      return Optional.empty();
    }
    try {
      String rollout = event.data().path("parameters").path("rollout").asText("");
      Integer percent = rollout.isEmpty() ? null : Integer.valueOf(rollout);
      return Optional.of(new AppliedRollout(m.group(1), Instant.parse(m.group(2)),
          event.data().path("id").asText(null), percent, event.id()));
    } catch (DateTimeParseException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Builds the memory from the flag's events, newest first, for one environment and the applier's user name. */
  static ApplierHistory from(List<UnleashEvent> newestFirst, String environment, String applier) {
    UnleashEvent lastWrite = null;
    AppliedRollout lastRollout = null;
    UnleashEvent lastChange = null;
    long handBackId = -1;
    for (UnleashEvent e : newestFirst) {
      boolean byApplier = applier.equals(e.createdBy());
      if (!byApplier && handBackId < 0 && e.isTagging(FlagTag.MANAGED)) {
        handBackId = e.id();
      }
      if (!e.changesEnvironment(environment)) {
        continue;
      }
      if (lastChange == null) {
        lastChange = e;
      }
      if (byApplier && lastWrite == null) {
        lastWrite = e;
      }
      if (byApplier && lastRollout == null && UnleashEvent.STRATEGY_UPDATE.equals(e.type())) {
        lastRollout = parseRollout(e).orElse(null);
      }
      if (lastRollout != null) {
        break;
      }
    }
    long since = Math.max(lastWrite == null ? -1 : lastWrite.id(), handBackId);
    UnleashEvent write = lastWrite;
    List<UnleashEvent> others = write == null ? List.of() : newestFirst.stream()
        .filter(e -> e.id() > since && e.changesEnvironment(environment) && !applier.equals(e.createdBy()))
        .toList();
    return new ApplierHistory(lastWrite, lastRollout, others, lastChange);
  }

  /** True when scanning should go on: the applier's last decision-carrying rollout write is not found yet. */
  static boolean needsOlderEvents(List<UnleashEvent> newestFirst, String environment, String applier) {
    return from(newestFirst, environment, applier).lastRollout() == null;
  }

  /**
   * The human change that still stands, if any: someone else changed the strategy or the on/off switch after the
   * applier's last write, and Unleash still shows that change (the rollout or strategy differs from what the
   * applier wrote, or the switch is where the human put it). Before the applier's first write the flag's setup
   * is the baseline, not an override.
   */
  Optional<UnleashEvent> standingOverride(FeatureEnvironment current) {
    if (lastWrite == null) {
      return Optional.empty();
    }
    Strategy strategy = current.flexibleRollout().orElse(null);
    for (UnleashEvent e : changesByOthers) {
      boolean stands = switch (e.type()) {
        case UnleashEvent.ENVIRONMENT_ENABLED -> current.enabled();
        case UnleashEvent.ENVIRONMENT_DISABLED -> !current.enabled();
        default -> lastRollout == null || strategy == null
            || !strategy.id().equals(lastRollout.strategyId())
            || !java.util.Objects.equals(strategy.rolloutPercent(), lastRollout.percent());
      };
      if (stands) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  boolean lastChangeByOther(String applier) {
    return lastChange != null && !applier.equals(lastChange.createdBy());
  }
}
