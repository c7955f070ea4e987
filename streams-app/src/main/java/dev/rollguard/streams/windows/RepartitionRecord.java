package dev.rollguard.streams.windows;

/**
 * What the intake sends the aggregator through the repartition topic: a {@link PartialWindow} (observations, keyed by
 * flag) or a {@link SourceWatermark} (how far one intake task has read, sent to every aggregator partition).
 */
public sealed interface RepartitionRecord permits PartialWindow, SourceWatermark {}
