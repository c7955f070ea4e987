package dev.rollguard.streams.windows;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;

/**
 * Validates {@code FlagImpression}s and {@code RequestMetric}s, turns them into {@link Observation}s (one per
 * impression; one per flag a request was served under, a flag listed twice counting once) and pre-aggregates those
 * into the task's {@link PartialWindowStore}. A bad event is forwarded at once as a {@code DeadLetter} (key null).
 *
 * <p>The partials are forwarded, keyed by {@link FlagKey}, when Streams is about to commit the task (the store's
 * pre-commit hook) and at least every {@code flushInterval} of wall-clock time, whichever comes first. Forwarding one
 * partial per flag and window instead of one record per observation is what keeps the repartition hop cheap.
 *
 * <p>After each flush's partials comes a {@link SourceWatermark} (to every aggregator partition): how far this task
 * has read in event time. Per input topic the task keeps the latest event time of its valid events; the watermark is
 * the minimum of that over the topics that had events since the last flush. So if one of the task's two partitions
 * runs ahead of the other (Streams normally hands a task their records in timestamp order, but not with
 * {@code max.task.idle.ms=-1}, nor while one partition's fetch is pending), the watermark stays with the one behind;
 * a topic without events in this partition does not hold it. With one event per flush ({@code TopologyTestDriver})
 * it is that event's topic's latest event time, so the aggregator's close watermark is the largest event time seen,
 * as before. See {@link WindowAggregator} for how the aggregator uses it.
 *
 * <p>When a topic's events cross a window's close time ({@code end + grace}) for the first time, the intake asks
 * Streams to commit now ({@link ProcessorContext#commit()}) instead of at the next commit interval: the flush that
 * comes with the commit sends the watermark that lets the aggregator close the window, and the commit makes it
 * visible at once. That is at most one extra commit per topic, task and window length, and it keeps the time from a
 * window's close to its decision independent of {@code commit.interval.ms}.
 */
final class Intake implements Processor<byte[], SpecificRecord, String, Object> {
  private final EventValidation validation;
  private final DeadLetters deadLetters;
  private final String storeName;
  private final long sizeMs;
  private final long graceMs;
  private final Duration flushInterval;
  private final WatermarkPartitioner partitioner;

  private ProcessorContext<String, Object> context;
  private PartialWindowStore partials;
  private ProcessorNode<?, ?, ?, ?> node;
  private int source;
  /** Per {@link Observation.Kind}: the latest event time aggregated, and whether there were events since the flush. */
  private final long[] latest = {Long.MIN_VALUE, Long.MIN_VALUE};
  private final boolean[] sinceFlush = new boolean[2];
  /** Per {@link Observation.Kind}: the next window close time ({@code end + grace}) after the latest event time. */
  private final long[] nextClose = {Long.MIN_VALUE, Long.MIN_VALUE};

  Intake(EventValidation validation, DeadLetters deadLetters, String storeName, Duration windowSize,
      Duration windowGrace, Duration flushInterval, WatermarkPartitioner partitioner) {
    this.validation = validation;
    this.deadLetters = deadLetters;
    this.storeName = storeName;
    this.sizeMs = windowSize.toMillis();
    this.graceMs = windowGrace.toMillis();
    this.flushInterval = flushInterval;
    this.partitioner = partitioner;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.partials = context.getStateStore(storeName);
    this.source = context.taskId().partition();
    // Also on a task's revival after a dirty close: the events behind these times were rolled back and are read again.
    Arrays.fill(latest, Long.MIN_VALUE);
    Arrays.fill(sinceFlush, false);
    Arrays.fill(nextClose, Long.MIN_VALUE);
    // Streams sets the current node during init: remember it, the pre-commit flush runs outside process().
    this.node = context instanceof InternalProcessorContext<?, ?> internal ? internal.currentNode() : null;
    partials.onFlush(this::forward);
    context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, now -> partials.flushPartials());
  }

  @Override
  public void process(Record<byte[], SpecificRecord> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    long now = context.currentSystemTimeMs();
    SpecificRecord value = record.value();
    if (value instanceof FlagImpression e) {
      impression(e, record, meta, now);
    } else if (value instanceof RequestMetric e) {
      request(e, record, meta, now);
    } else {
      deadLetter(new EventValidation.Problem(DeadLetterReason.NULL_VALUE, "null value (tombstone) on an event topic"),
          record, meta, now);
    }
  }

  private void impression(FlagImpression e, Record<byte[], SpecificRecord> record, RecordMetadata meta, long now) {
    EventValidation.Problem problem = validation.check(e, now);
    if (problem != null) {
      deadLetter(problem, record, meta, now);
      return;
    }
    long ts = e.getTimestamp().toEpochMilli();
    add(new FlagKey(e.getEnvironment(), e.getFeatureName()), Observation.impression(ts,
        Variants.effective(e.getEnabled(), e.getVariant()), Variants.unit(e.getUserId(), e.getSessionId(),
            e.getEventId()), meta.partition(), meta.offset()));
  }

  private void request(RequestMetric e, Record<byte[], SpecificRecord> record, RecordMetadata meta, long now) {
    EventValidation.Problem problem = validation.check(e, now);
    if (problem != null) {
      deadLetter(problem, record, meta, now);
      return;
    }
    long ts = e.getTimestamp().toEpochMilli();
    String unit = Variants.unit(e.getUserId(), e.getSessionId(), e.getEventId());
    List<Exposure> exposures = e.getExposures();
    Set<String> seen = exposures.size() > 1 ? new HashSet<>() : null;
    for (Exposure x : exposures) {
      if (seen != null && !seen.add(x.getFeatureName())) {
        continue;
      }
      add(new FlagKey(e.getEnvironment(), x.getFeatureName()), Observation.request(ts,
          Variants.effective(x.getEnabled(), x.getVariant()), unit, e.getLatencyMs(), e.getError(), e.getConverted(),
          meta.partition(), meta.offset()));
    }
  }

  private void add(FlagKey key, Observation o) {
    long start = Math.floorDiv(o.timestamp(), sizeMs) * sizeMs;
    partials.add(key, start, start + sizeMs, o);
    int kind = o.kind().ordinal();
    latest[kind] = Math.max(latest[kind], o.timestamp());
    sinceFlush[kind] = true;
    if (o.timestamp() >= nextClose[kind]) {
      if (nextClose[kind] != Long.MIN_VALUE) {
        context.commit();  // a window's close time passed: flush and commit now (see the class comment)
      }
      long closing = o.timestamp() - graceMs;
      nextClose[kind] = Math.floorDiv(closing, sizeMs) * sizeMs + sizeMs + graceMs;
    }
  }

  private void deadLetter(EventValidation.Problem problem, Record<byte[], SpecificRecord> record, RecordMetadata meta,
      long now) {
    context.forward(new Record<>(null, deadLetters.create(problem.reason(), problem.detail(), meta.topic(),
        meta.partition(), meta.offset(), record.key(), null, now), record.timestamp()));
  }

  /**
   * Forwards flushed partials, then this task's watermark. From the pre-commit hook no node is current, so it is set
   * here, as Streams' own record cache does when it flushes; the record context is a punctuation's (no input record).
   */
  private void forward(List<PartialWindow> flushed) {
    long eventTime = Long.MAX_VALUE;
    for (int kind = 0; kind < latest.length; kind++) {
      if (sinceFlush[kind]) {
        eventTime = Math.min(eventTime, latest[kind]);
        sinceFlush[kind] = false;
      }
    }
    if (!(context instanceof InternalProcessorContext<?, ?> internal) || node == null) {
      flushed.forEach(p -> context.forward(new Record<>(p.aggregate().key().format(), p, p.maxTimestamp())));
      context.forward(watermark(eventTime));
      return;
    }
    ProcessorNode<?, ?, ?, ?> previousNode = internal.currentNode();
    ProcessorRecordContext previousRecord = internal.recordContext();
    internal.setCurrentNode(node);
    try {
      for (PartialWindow p : flushed) {
        internal.setRecordContext(new ProcessorRecordContext(p.maxTimestamp(), -1L, -1, null, new RecordHeaders()));
        context.forward(new Record<>(p.aggregate().key().format(), p, p.maxTimestamp()));
      }
      internal.setRecordContext(new ProcessorRecordContext(eventTime, -1L, -1, null, new RecordHeaders()));
      context.forward(watermark(eventTime));
    } finally {
      internal.setCurrentNode(previousNode);
      internal.setRecordContext(previousRecord);
    }
  }

  /**
   * Sent after the partials (whose forwarding told the partitioner the partition count): see the class comment. The
   * key is empty, never a flag key (those contain '/'), and not null: Streams' repartition drops null keys.
   */
  private Record<String, Object> watermark(long eventTime) {
    return new Record<>("", new SourceWatermark(source, partitioner.partitionCount(), eventTime), eventTime);
  }
}
