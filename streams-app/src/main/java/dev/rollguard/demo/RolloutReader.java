package dev.rollguard.demo;

import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FeatureFlag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo application's view of its flags, as an Unleash SDK would have it: polls the flags' current on/off switch
 * and flexibleRollout percent, so the traffic split follows whatever the applier (or a person) set.
 */
final class RolloutReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RolloutReader.class);

  /** What a flag serves in the demo environment right now. */
  record Rollout(boolean enabled, int percent) {
    static final Rollout OFF = new Rollout(false, 0);

    /** The share of users in treatment: 0 when the flag is off. */
    int effectivePercent() {
      return enabled ? percent : 0;
    }
  }

  private final UnleashAdminClient unleash;
  private final String project;
  private final String environment;
  private final List<String> flags;
  private final Map<String, Rollout> current = new ConcurrentHashMap<>();
  private final ScheduledExecutorService poller;
  private volatile boolean warned;

  RolloutReader(UnleashAdminClient unleash, String project, String environment, List<String> flags,
      Duration interval) {
    this.unleash = unleash;
    this.project = project;
    this.environment = environment;
    this.flags = List.copyOf(flags);
    refresh();
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "rollguard-demo-rollout-reader"));
    poller.scheduleWithFixedDelay(this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  Rollout rollout(String flag) {
    return current.getOrDefault(flag, Rollout.OFF);
  }

  private void refresh() {
    for (String flag : flags) {
      UnleashResult<FeatureFlag> result = unleash.getFlag(project, flag);
      if (result instanceof UnleashResult.Ok<FeatureFlag> ok) {
        FeatureEnvironment env = ok.value().environment(environment).orElse(null);
        Integer percent = env == null ? null : env.flexibleRollout().map(Strategy::rolloutPercent).orElse(null);
        current.put(flag, env == null ? Rollout.OFF
            : new Rollout(env.enabled(), percent == null ? 0 : Math.max(0, Math.min(100, percent))));
      } else if (!warned) {
        // Keep serving the last known split, as an SDK does when its server is away.
        warned = true;
        log.warn("cannot read flag {} from Unleash, keeping the last known rollout: {}", LogText.clean(flag),
            ((UnleashResult.Failure<FeatureFlag>) result).message());
      }
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
    try {
      poller.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
