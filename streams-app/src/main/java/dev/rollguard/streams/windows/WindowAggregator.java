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

/**
 * Merges the intake tasks' {@link PartialWindow}s into tumbling windows per flag and environment, and emits each
 * window exactly once, when it closes, as a {@code FlagWindowStats}; a partial for a closed window becomes
 * {@code DeadLetter}s (late), one per input topic it held, naming its event count and offset range.
 *
 * <h2>When a window closes</h2>
 * A window {@code [start, end)} closes when the <em>close watermark</em> reaches {@code end + grace}. The watermark
 * is persisted with the windows and only moves forward. Two things move it:
 * <ul>
 *   <li><b>Stream time</b> (in {@link #process}): the largest event time this task has seen, where a partial counts
 *       with its earliest event (one event per partial in {@code TopologyTestDriver}, so there it is exactly the
 *       largest event time). While events flow, this alone closes windows, deterministically, whatever the wall clock
 *       says (replays of old data work).
 *   <li><b>The wall clock</b> (a {@code WALL_CLOCK_TIME} punctuator every {@code window.close-check-interval}): stream
 *       time plus the wall-clock time elapsed since stream time last advanced. When a flag's traffic (or the whole
 *       partition's) stops, stream time freezes, but this keeps running at wall-clock speed, so the last window
 *       closes about {@code end + grace - lastEventTime} after the last event, as if time had kept flowing. A plain
 *       {@code suppress(untilWindowCloses)} never emits then, since only new records advance its stream time.
 * </ul>
 * Extrapolating from stream time instead of comparing event times with the wall clock directly means that a
 * backlog or replay of old events is not closed prematurely: while events arrive, the elapsed term stays near 0.
 *
 * <p>Closed windows are forwarded and deleted in the same step, and deletion goes through the changelogged store in
 * the same transaction (EOS v2) as the output, so a window is emitted exactly once, across crashes too. A partial
 * whose window satisfies {@code end + grace <= watermark} is late: its window was emitted, or would have been.
 * Lateness is judged per partial, so per intake flush: events that arrive out of order within one flush interval
 * count together (see {@link Intake}). Emission order within one close is by window start, then key, so runs are
 * reproducible.
 */
final class WindowAggregator implements Processor<String, PartialWindow, String, SpecificRecord> {
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
  private long streamTime;
  private long wallClockAtStreamTime;
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
    // After a restart, resume from the persisted watermark and let the wall clock run from now.
    this.streamTime = store.watermark();
    this.wallClockAtStreamTime = context.currentSystemTimeMs();
    this.nextClose = earliestClose();
    context.schedule(closeCheckInterval, PunctuationType.WALL_CLOCK_TIME, this::closeByWallClock);
  }

  @Override
  public void process(Record<String, PartialWindow> record) {
    PartialWindow p = record.value();
    WindowAggregate partial = p.aggregate();
    long watermark = store.watermark();
    if (partial.windowEnd() + graceMs <= watermark) {
      deadLetterLate(record.key(), p, watermark);
    } else {
      WindowAggregate window = store.get(partial.key(), partial.windowStart());
      if (window == null) {
        store.put(partial);
      } else {
        store.getForUpdate(partial.key(), partial.windowStart(), partial.windowEnd()).merge(partial);
      }
      nextClose = Math.min(nextClose, partial.windowEnd() + graceMs);
      observed += p.observations();
    }
    // The partial's earliest event, not its latest: the intake task read its later events while the other tasks were
    // still reading theirs, so advancing to the latest would close windows ahead of partials already on their way.
    long ts = p.minTimestamp();
    if (ts > streamTime) {
      streamTime = ts;
      wallClockAtStreamTime = context.currentSystemTimeMs();
      advance(ts, false);
    }
  }

  private void closeByWallClock(long now) {
    flushObservedCount();
    if (streamTime == Long.MIN_VALUE) {
      return;
    }
    advance(streamTime + Math.max(0, now - wallClockAtStreamTime), true);
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
