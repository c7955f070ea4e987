package dev.rollguard.streams.windows;

/**
 * What one intake task saw of one flag's window since its last flush: the {@link WindowAggregate} of those
 * observations plus their provenance (per input topic: how many events, from which partition, which offsets, which
 * event times). This is what crosses the repartition topic; the aggregator merges it into the window, or, when the
 * window has already closed, dead-letters it with that provenance, so nothing is dropped without an account.
 */
public final class PartialWindow implements RepartitionRecord {
  /** The events of one input topic in a partial: a task reads one partition per topic, so one range describes them. */
  public static final class Source {
    int partition = -1;
    long firstOffset = Long.MAX_VALUE;
    long lastOffset = Long.MIN_VALUE;
    long minTimestamp = Long.MAX_VALUE;
    long maxTimestamp = Long.MIN_VALUE;
    long events;

    Source() {}

    Source(int partition, long firstOffset, long lastOffset, long minTimestamp, long maxTimestamp, long events) {
      this.partition = partition;
      this.firstOffset = firstOffset;
      this.lastOffset = lastOffset;
      this.minTimestamp = minTimestamp;
      this.maxTimestamp = maxTimestamp;
      this.events = events;
    }

    void add(int partition, long offset, long timestamp) {
      if (events == 0) {
        this.partition = partition;
      }
      firstOffset = Math.min(firstOffset, offset);
      lastOffset = Math.max(lastOffset, offset);
      minTimestamp = Math.min(minTimestamp, timestamp);
      maxTimestamp = Math.max(maxTimestamp, timestamp);
      events++;
    }

    public int partition() {
      return partition;
    }

    public long firstOffset() {
      return firstOffset;
    }

    public long lastOffset() {
      return lastOffset;
    }

    public long minTimestamp() {
      return minTimestamp;
    }

    public long maxTimestamp() {
      return maxTimestamp;
    }

    public long events() {
      return events;
    }
  }

  private final WindowAggregate aggregate;
  private final Source impressions;
  private final Source requests;

  public PartialWindow(WindowAggregate aggregate) {
    this(aggregate, new Source(), new Source());
  }

  PartialWindow(WindowAggregate aggregate, Source impressions, Source requests) {
    this.aggregate = aggregate;
    this.impressions = impressions;
    this.requests = requests;
  }

  public void add(Observation o) {
    aggregate.add(o);
    source(o.kind()).add(o.sourcePartition(), o.sourceOffset(), o.timestamp());
  }

  public WindowAggregate aggregate() {
    return aggregate;
  }

  public Source source(Observation.Kind kind) {
    return kind == Observation.Kind.IMPRESSION ? impressions : requests;
  }

  /** Observations held (one per event: a request lists a flag at most once). */
  public long observations() {
    return impressions.events + requests.events;
  }

  /** The latest event time held: the partial's record timestamp. */
  public long maxTimestamp() {
    return Math.max(impressions.maxTimestamp, requests.maxTimestamp);
  }

  /** The earliest event time held. */
  public long minTimestamp() {
    return Math.min(impressions.minTimestamp, requests.minTimestamp);
  }
}
