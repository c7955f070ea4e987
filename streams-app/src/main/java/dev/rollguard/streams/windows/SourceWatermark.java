package dev.rollguard.streams.windows;

/**
 * One intake task's event-time progress, sent after the partials of each of its flushes to every aggregator
 * partition (see {@link WatermarkPartitioner}): every partial of that task holding events up to {@code eventTime} is
 * ahead of it on each partition.
 *
 * @param source the intake task's partition (both event topics' partition of that number)
 * @param sources how many intake tasks there are (the repartition topic's partition count), 0 when unknown
 * @param eventTime the latest event time of the valid events the task has aggregated, of the topic that is behind
 *     when both of its topics had events since the last flush (see {@link Intake})
 */
public record SourceWatermark(int source, int sources, long eventTime) implements RepartitionRecord {}
