package dev.rollguard.streams.decisions;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Bounds how long a stream thread may block on the advisor, whatever the model does: a token bucket per thread
 * holding at most {@code capacity} of waiting time, refilled at half the wall-clock rate. In any stretch of length L a
 * thread waits at most {@code capacity + L/2}, so one pass of Kafka Streams' processing loop (which polls again once
 * half of {@code max.poll.interval.ms} has passed) lasts at most about {@code max.poll.interval/2 + 2 × capacity}.
 * {@link DecisionStageConfig} sets {@code capacity = max.poll.interval/8}, keeping that under {@code 0.75 ×}
 * {@code max.poll.interval.ms}. A slow but valid model (which never opens the circuit breaker) is bounded too.
 */
public final class AdvisorWaitBudget {
  private final long capacityNanos;
  private final LongSupplier nanoTime;
  private final ThreadLocal<long[]> buckets; // {tokens, lastRefill}: one bucket per stream thread

  public AdvisorWaitBudget(Duration capacity) {
    this(capacity, System::nanoTime);
  }

  AdvisorWaitBudget(Duration capacity, LongSupplier nanoTime) {
    if (capacity == null || capacity.isNegative() || capacity.isZero()) {
      throw new IllegalArgumentException("capacity must be > 0, got " + capacity);
    }
    this.capacityNanos = capacity.toNanos();
    this.nanoTime = nanoTime;
    this.buckets = ThreadLocal.withInitial(() -> new long[] {capacityNanos, nanoTime.getAsLong()});
  }

  public Duration capacity() {
    return Duration.ofNanos(capacityNanos);
  }

  /** Waiting time this thread may spend now, at most {@code wanted}. */
  public Duration available(Duration wanted) {
    long[] b = refill();
    return Duration.ofNanos(Math.min(b[0], wanted.toNanos()));
  }

  /** Records time this thread spent waiting. */
  public void spent(Duration waited) {
    long[] b = refill();
    b[0] = Math.max(0, b[0] - waited.toNanos());
  }

  private long[] refill() {
    long[] b = buckets.get();
    long now = nanoTime.getAsLong();
    long elapsed = Math.max(0, now - b[1]);
    b[0] = Math.min(capacityNanos, b[0] + elapsed / 2);
    b[1] = now;
    return b;
  }
}
