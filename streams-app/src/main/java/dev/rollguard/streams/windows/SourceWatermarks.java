package dev.rollguard.streams.windows;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one aggregator task knows of the intake tasks' progress: per source (intake task), the event time of its
 * latest report and when (wall clock) that came. The latest report counts, also when it is lower than an earlier one:
 * the intake reports the topic that is behind (see {@link Intake}), and a restarted task reports what it re-reads.
 * {@link #watermark} is the minimum over the sources heard from within the idle timeout: no active source is behind
 * it, so windows may close up to it (less the grace).
 *
 * <p>A source expected but not heard yet (a first start, or after a restart until it reports again) holds the
 * watermark at nothing for one idle timeout; a source that stays silent that long is left out, so an idle or
 * traffic-less partition cannot hold windows open forever. When it reports again it counts again, and whatever it
 * sends for windows closed meanwhile is late.
 */
final class SourceWatermarks {
  private static final class Source {
    long eventTime;
    long lastHeard;

    Source(long eventTime, long lastHeard) {
      this.eventTime = eventTime;
      this.lastHeard = lastHeard;
    }
  }

  private final long idleTimeoutMs;
  private final Map<Integer, Source> sources = new TreeMap<>();

  SourceWatermarks(Duration idleTimeout) {
    this.idleTimeoutMs = idleTimeout.toMillis();
  }

  /**
   * How long a source may stay silent before it no longer holds windows back: the grace period, and at least three
   * close-check intervals (an intake task with traffic reports at least every close-check interval).
   */
  static Duration idleTimeout(Duration grace, Duration closeCheckInterval) {
    Duration checks = closeCheckInterval.multipliedBy(3);
    return grace.compareTo(checks) >= 0 ? grace : checks;
  }

  /** A source known from the persisted state: it counts as heard now, so it holds windows until it reports or idles. */
  void restore(int source, long eventTime, long now) {
    sources.putIfAbsent(source, new Source(eventTime, now));
  }

  /** Sources {@code 0..count-1} never heard of: each holds windows back until it reports or idles. */
  void expect(int count, long now) {
    for (int s = 0; s < count; s++) {
      sources.putIfAbsent(s, new Source(Long.MIN_VALUE, now));
    }
  }

  /** Records a report; returns the source's event time (the reported one). */
  long heard(int source, long eventTime, long now) {
    Source s = sources.computeIfAbsent(source, k -> new Source(Long.MIN_VALUE, now));
    s.eventTime = eventTime;
    s.lastHeard = now;
    return s.eventTime;
  }

  /** The minimum event time over the sources heard from within the idle timeout; {@code Long.MIN_VALUE} if none. */
  long watermark(long now) {
    long min = Long.MAX_VALUE;
    for (Source s : sources.values()) {
      if (now - s.lastHeard <= idleTimeoutMs) {
        min = Math.min(min, s.eventTime);
      }
    }
    return min == Long.MAX_VALUE ? Long.MIN_VALUE : min;
  }

  /** How many sources are left out as idle (logged by the aggregator when it changes). */
  int idle(long now) {
    return (int) sources.values().stream().filter(s -> now - s.lastHeard > idleTimeoutMs).count();
  }
}
