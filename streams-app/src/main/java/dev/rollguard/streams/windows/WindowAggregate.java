package dev.rollguard.streams.windows;

import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** The running statistics of one flag in one environment over one window, variants inside. Mergeable. */
public final class WindowAggregate {
  private final FlagKey key;
  private final long windowStart;
  private final long windowEnd;
  // Sorted so that serialized bytes and emitted maps do not depend on arrival order.
  private final Map<String, VariantAggregate> variants;

  public WindowAggregate(FlagKey key, long windowStart, long windowEnd) {
    this(key, windowStart, windowEnd, new TreeMap<>());
  }

  WindowAggregate(FlagKey key, long windowStart, long windowEnd, Map<String, VariantAggregate> variants) {
    if (windowEnd <= windowStart) {
      throw new IllegalArgumentException("window end " + windowEnd + " must be after its start " + windowStart);
    }
    this.key = key;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.variants = variants;
  }

  public void add(Observation o) {
    variants.computeIfAbsent(o.variant(), v -> new VariantAggregate()).add(o);
  }

  /** Merges another aggregate of the same flag, environment and window. */
  public void merge(WindowAggregate other) {
    if (!key.equals(other.key) || windowStart != other.windowStart || windowEnd != other.windowEnd) {
      throw new IllegalArgumentException("cannot merge " + other.describe() + " into " + describe());
    }
    other.variants.forEach((name, v) -> variants.computeIfAbsent(name, n -> new VariantAggregate()).merge(v));
  }

  public FlagKey key() {
    return key;
  }

  public long windowStart() {
    return windowStart;
  }

  public long windowEnd() {
    return windowEnd;
  }

  public Map<String, VariantAggregate> variants() {
    return Collections.unmodifiableMap(variants);
  }

  public FlagWindowStats toStats() {
    Map<String, VariantStats> stats = new TreeMap<>();
    variants.forEach((name, v) -> stats.put(name, v.toStats()));
    return FlagWindowStats.newBuilder()
        .setFlag(key.flag())
        .setEnvironment(key.environment())
        .setWindowStart(Instant.ofEpochMilli(windowStart))
        .setWindowEnd(Instant.ofEpochMilli(windowEnd))
        .setControlVariant(Variants.CONTROL)
        .setVariants(stats)
        .build();
  }

  public String describe() {
    return key + " [" + Instant.ofEpochMilli(windowStart) + ", " + Instant.ofEpochMilli(windowEnd) + ")";
  }
}
