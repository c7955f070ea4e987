package dev.rollguard.streams.windows;

/**
 * One event's contribution to one flag's window, after validation and fan-out: what the intake adds to a
 * {@link PartialWindow}. No flag name (the partial's key has it), no topic (the kind implies it).
 *
 * @param kind an impression or a request
 * @param timestamp event time, epoch millis
 * @param variant the effective variant (see {@link Variants#effective})
 * @param unit the counting unit: {@code u:<userId>}, else {@code s:<sessionId>}, else {@code e:<eventId>}
 * @param latencyMs request latency; 0 for impressions
 * @param error request failed
 * @param converted request completed a conversion goal
 * @param sourcePartition partition of the input record, for dead letters
 * @param sourceOffset offset of the input record, for dead letters
 */
public record Observation(Kind kind, long timestamp, String variant, String unit, double latencyMs, boolean error,
    boolean converted, int sourcePartition, long sourceOffset) {

  public enum Kind { IMPRESSION, REQUEST }

  public static Observation impression(long timestamp, String variant, String unit, int partition, long offset) {
    return new Observation(Kind.IMPRESSION, timestamp, variant, unit, 0.0, false, false, partition, offset);
  }

  public static Observation request(long timestamp, String variant, String unit, double latencyMs, boolean error,
      boolean converted, int partition, long offset) {
    return new Observation(Kind.REQUEST, timestamp, variant, unit, latencyMs, error, converted, partition, offset);
  }
}
