package dev.rollguard.streams.windows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the intake tasks' {@link PartialWindow}s into tumbling windows per flag and environment, and emits each
 * window exactly once, when it closes, as a {@code FlagWindowStats}; a partial for a closed window becomes
 * {@code DeadLetter}s (late), one per input topic it held, naming its event count and offset range.
 *
 * <h2>When a window closes</h2>
 * A window {@code [start, end)} closes when the <em>close watermark</em> reaches {@code end + grace}. The watermark
 * is persisted with the windows and only moves forward. Two things move it:
 * <ul>
 *   <li><b>Event time, per source</b> (in {@link #process}). Each intake task (a <em>source</em>: one partition
 *       number of the two event topics) sends, after the partials of each flush, a {@link SourceWatermark} with its
 *       event-time progress (the latest event time it aggregated; of the topic behind, when both of its topics had
 *       events since the last flush) to every aggregator partition. Its partials for earlier events are ahead of it
 *       on the same partition, in the same transaction. The aggregator keeps the latest report per source
 *       ({@link SourceWatermarks}, persisted in the store) and moves the close watermark to the <em>minimum</em> over
 *       the sources heard from within the idle timeout ({@code max(grace, 3 × window.close-check-interval)}). So when
 *       tasks drift apart in event time (a backlog being caught up, a partition whose fetches are slow), the slowest
 *       one holds windows open instead of having its events declared late; within one source, events may be out of
 *       order by up to the grace. A source silent for the idle timeout (a partition without traffic, a task that is
 *       down) is left out, and one expected but never heard (the watermark names how many sources there are) holds
 *       windows for one idle timeout after it is first expected. Partials never move the watermark: a flush's
 *       partials go out before its watermark, so none of them can find its window closed by that same flush. With one
 *       partition ({@code TopologyTestDriver}, one event per flush) this is exactly the largest event time seen.
 *   <li><b>The wall clock</b> (a {@code WALL_CLOCK_TIME} punctuator every {@code window.close-check-interval}): the
 *       sources' watermark plus the wall-clock time elapsed since it last advanced. When a flag's traffic (or all
 *       traffic) stops, the sources stop reporting, but this keeps running at wall-clock speed, so the last window
 *       closes about {@code end + grace - lastEventTime} after the last event, as if time had kept flowing. A plain
 *       {@code suppress(untilWindowCloses)} never emits then, since only new records advance its stream time. The
 *       punctuator also re-evaluates the minimum, which rises when a source goes idle.
 * </ul>
 * Extrapolating from event time instead of comparing event times with the wall clock directly means that a
 * backlog or replay of old events is not closed prematurely: while events arrive, the elapsed term stays near 0.
 *
 * <p>Closed windows are forwarded and deleted in the same step, and deletion goes through the changelogged store in
 * the same transaction (EOS v2) as the output, so a window is emitted exactly once, across crashes too. A partial
 * whose window satisfies {@code end + grace <= watermark} is late: its window was emitted, or would have been.
 * Lateness is judged per partial, so per intake flush: events that arrive out of order within one flush interval
 * count together (see {@link Intake}). Emission order within one close is by window start, then key, so runs are
 * reproducible. After emitting, the aggregator asks Streams to commit at once, so closed windows do not wait for
 * {@code commit.interval.ms} to become visible.
 */
final class WindowAggregator implements Processor<String, RepartitionRecord, String, SpecificRecord> {
  private static final Logger log = LoggerFactory.getLogger(WindowAggregator.class);
  private static final Comparator<WindowAggregate> EMIT_ORDER =
      Comparator.comparingLong(WindowAggregate::windowStart).thenComparing(a -> a.key().format());

  private final String storeName;
  private final long graceMs;
  private final Duration closeCheckInterval;
  private final String impressionsTopic;
  private final String requestMetricsTopic;
  private final DeadLetters deadLetters;

  private ProcessorContext<String, SpecificRecord> context;
  private WindowAggregateStore store;
  private SourceWatermarks sources;
  /** The sources' watermark as last advanced (never back), and when: the base of the wall-clock close. */
  private long eventTime;
  private long wallClockAtEventTime;
  private int idleSources;
  private long nextClose;
  private long observed;

  WindowAggregator(String storeName, Duration grace, Duration closeCheckInterval,
      String impressionsTopic, String requestMetricsTopic, DeadLetters deadLetters) {
    this.storeName = storeName;
    this.graceMs = grace.toMillis();
    this.closeCheckInterval = closeCheckInterval;
    this.impressionsTopic = impressionsTopic;
    this.requestMetricsTopic = requestMetricsTopic;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    // After a restart, resume from the persisted watermark and let the wall clock run from now; the sources heard
    // before hold windows again until they report (or idle).
    long now = context.currentSystemTimeMs();
    this.eventTime = store.watermark();
    this.wallClockAtEventTime = now;
    this.sources = new SourceWatermarks(SourceWatermarks.idleTimeout(Duration.ofMillis(graceMs), closeCheckInterval));
    store.sourceWatermarks().forEach((source, time) -> sources.restore(source, time, now));
    this.nextClose = earliestClose();
    context.schedule(closeCheckInterval, PunctuationType.WALL_CLOCK_TIME, this::closeByWallClock);
  }

  @Override
  public void process(Record<String, RepartitionRecord> record) {
    if (record.value() instanceof PartialWindow p) {
      merge(record.key(), p);
    } else if (record.value() instanceof SourceWatermark w) {
      long now = context.currentSystemTimeMs();
      sources.expect(w.sources(), now);
      store.sourceWatermark(w.source(), sources.heard(w.source(), w.eventTime(), now));
      advanceToSources(now);
    }
  }

  private void merge(String key, PartialWindow p) {
    WindowAggregate partial = p.aggregate();
    long watermark = store.watermark();
    if (partial.windowEnd() + graceMs <= watermark) {
      deadLetterLate(key, p, watermark);
      return;
    }
    WindowAggregate window = store.get(partial.key(), partial.windowStart());
    if (window == null) {
      store.put(partial);
    } else {
      store.getForUpdate(partial.key(), partial.windowStart(), partial.windowEnd()).merge(partial);
    }
    nextClose = Math.min(nextClose, partial.windowEnd() + graceMs);
    observed += p.observations();
  }

  /** Moves the close watermark to the minimum over the active sources, if that is further. */
  private void advanceToSources(long now) {
    long min = sources.watermark(now);
    if (min > eventTime) {
      eventTime = min;
      wallClockAtEventTime = now;
      advance(min, false);
    }
  }

  private void closeByWallClock(long now) {
    flushObservedCount();
    int idle = sources.idle(now);
    if (idle != idleSources) {
      idleSources = idle;
      log.atInfo().addKeyValue("task", context.taskId()).addKeyValue("idleSources", idle)
          .log("sources silent for the idle timeout no longer hold windows open");
    }
    advanceToSources(now);
    if (eventTime == Long.MIN_VALUE) {
      return;
    }
    advance(eventTime + Math.max(0, now - wallClockAtEventTime), true);
  }

  private void advance(long candidate, boolean byWallClock) {
    if (candidate <= store.watermark()) {
      return;
    }
    store.watermark(candidate);
    if (candidate >= nextClose) {
      closeUpTo(candidate, byWallClock);
    }
  }

  private void closeUpTo(long watermark, boolean byWallClock) {
    List<WindowAggregate> closing = store.openWindows().stream()
        .filter(a -> a.windowEnd() + graceMs <= watermark)
        .sorted(EMIT_ORDER)
        .toList();
    for (WindowAggregate a : closing) {
      // The output record's timestamp is the window's last millisecond, so it stays inside the window it describes.
      context.forward(new Record<>(a.key().format(), a.toStats(), a.windowEnd() - 1));
      store.remove(a);
      deadLetters.metrics().emitted(byWallClock);
    }
    if (!closing.isEmpty()) {
      // Commit now, not at the next commit interval: the closed windows become visible to the decision stage at once.
      context.commit();
    }
    nextClose = earliestClose();
  }

  private long earliestClose() {
    long min = Long.MAX_VALUE;
    for (WindowAggregate a : store.openWindows()) {
      min = Math.min(min, a.windowEnd() + graceMs);
    }
    return min;
  }

  /** One dead letter per input topic the late partial held, naming how many events and which offsets. */
  private void deadLetterLate(String key, PartialWindow p, long watermark) {
    WindowAggregate w = p.aggregate();
    String window = "window [" + Instant.ofEpochMilli(w.windowStart()) + ", " + Instant.ofEpochMilli(w.windowEnd())
        + ") closed " + (watermark - w.windowEnd() - graceMs) / 1000 + " s ago (grace " + graceMs / 1000 + " s)";
    for (Observation.Kind kind : Observation.Kind.values()) {
      PartialWindow.Source s = p.source(kind);
      if (s.events() == 0) {
        continue;
      }
      String what = kind.name().toLowerCase(Locale.ROOT);
      String detail = s.events() == 1
          ? "late: " + what + " for " + key + " at " + Instant.ofEpochMilli(s.maxTimestamp()) + " (partition "
              + s.partition() + ", offset " + s.firstOffset() + "), " + window
          : "late: " + s.events() + " " + what + "s for " + key + " at " + Instant.ofEpochMilli(s.minTimestamp())
              + " to " + Instant.ofEpochMilli(s.maxTimestamp()) + " (partition " + s.partition() + ", offsets "
              + s.firstOffset() + " to " + s.lastOffset() + "), " + window;
      String topic = kind == Observation.Kind.IMPRESSION ? impressionsTopic : requestMetricsTopic;
      context.forward(new Record<>(key, deadLetters.create(DeadLetterReason.LATE, detail, topic, s.partition(),
          s.firstOffset(), key.getBytes(StandardCharsets.UTF_8), null, context.currentSystemTimeMs(), s.events()),
          s.maxTimestamp()));
    }
  }

  private void flushObservedCount() {
    if (observed > 0) {
      deadLetters.metrics().observed((int) Math.min(Integer.MAX_VALUE, observed));
      observed = 0;
    }
  }

  @Override
  public void close() {
    flushObservedCount();
  }
}
