package dev.rollguard.demo;

import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FeatureFlag;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashResult;
import java.util.Optional;

/**
 * Creates a demo flag where it is missing: a release flag with impression data, a flexibleRollout strategy at the
 * start percent, switched on in the environment, tagged {@code rollguard:managed}. An existing flag is left as it is
 * (a person may have set it), so a second run against a real Unleash resumes from where the flag stands.
 */
final class DemoFlagSetup {
  private DemoFlagSetup() {}

  /** Returns a one-line account of what was found or done. */
  static String ensure(UnleashAdminClient unleash, String project, String environment, String flag, int startPercent) {
    require(unleash.ensureTagType(FlagTag.TYPE, "Rollguard automation"), "create the tag type " + FlagTag.TYPE);
    UnleashResult<FeatureFlag> existing = unleash.getFlag(project, flag);
    boolean created = false;
    if (!existing.isOk()) {
      require(unleash.createFlag(project, flag), "create flag " + flag);
      created = true;
    }
    FeatureFlag current = require(unleash.getFlag(project, flag), "read flag " + flag);
    FeatureEnvironment env = current.environment(environment).orElseThrow(() -> new IllegalStateException(
        "flag " + flag + " has no environment " + environment + " in Unleash"));
    Optional<Strategy> strategy = env.flexibleRollout();
    if (strategy.isEmpty()) {
      require(unleash.addFlexibleRollout(project, flag, environment, startPercent),
          "add a flexibleRollout strategy to " + flag);
    }
    if (!env.enabled()) {
      require(unleash.setEnvironmentEnabled(project, flag, environment, true), "turn " + flag + " on");
    }
    if (!FlagTag.isManaged(require(unleash.getTags(flag), "read the tags of " + flag))) {
      require(unleash.addTag(flag, FlagTag.MANAGED), "tag " + flag + " rollguard:managed");
    }
    int percent = strategy.map(Strategy::rolloutPercent).orElse(startPercent);
    return (created ? "created " : "found ") + flag + ": on in " + environment + ", flexibleRollout " + percent
        + "%, tagged rollguard:managed";
  }

  private static <T> T require(UnleashResult<T> result, String what) {
    if (result instanceof UnleashResult.Failure<T> f) {
      throw new IllegalStateException("cannot " + what + ": " + f.message());
    }
    return result.value();
  }
}
