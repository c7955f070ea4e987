package dev.rollguard.streams.windows;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.schemas.Sketches;
import java.nio.ByteBuffer;
import org.apache.datasketches.hll.HllSketch;

/**
 * The running statistics of one variant in one window. Mergeable: counts add, the DDSketch merges exactly, the HLL
 * sketches union, so partial aggregates (or restored ones) combine without double counting.
 */
public final class VariantAggregate {
  long impressions;
  long requests;
  long errors;
  long conversions;
  final DDSketch latency;
  HllSketch units;
  HllSketch convertingUnits;

  public VariantAggregate() {
    this(0, 0, 0, 0, Sketches.newLatencySketch(), Sketches.newDistinctSketch(), Sketches.newDistinctSketch());
  }

  VariantAggregate(long impressions, long requests, long errors, long conversions, DDSketch latency, HllSketch units,
      HllSketch convertingUnits) {
    this.impressions = impressions;
    this.requests = requests;
    this.errors = errors;
    this.conversions = conversions;
    this.latency = latency;
    this.units = units;
    this.convertingUnits = convertingUnits;
  }

  /** Counts one observation; its unit joins the exposed units whatever its kind. */
  public void add(Observation o) {
    Sketches.addUnit(units, o.unit());
    if (o.kind() == Observation.Kind.IMPRESSION) {
      impressions++;
      return;
    }
    requests++;
    latency.accept(o.latencyMs());
    if (o.error()) {
      errors++;
    }
    if (o.converted()) {
      conversions++;
      Sketches.addUnit(convertingUnits, o.unit());
    }
  }

  public void merge(VariantAggregate other) {
    impressions += other.impressions;
    requests += other.requests;
    errors += other.errors;
    conversions += other.conversions;
    latency.mergeWith(other.latency);
    units = Sketches.mergeDistinct(units, other.units);
    convertingUnits = Sketches.mergeDistinct(convertingUnits, other.convertingUnits);
  }

  public long impressions() {
    return impressions;
  }

  public long requests() {
    return requests;
  }

  public long errors() {
    return errors;
  }

  public long conversions() {
    return conversions;
  }

  public long uniqueUnits() {
    return estimate(units);
  }

  public long convertingUnits() {
    return estimate(convertingUnits);
  }

  /**
   * HLL's composite estimator. A sketch updated in order would otherwise use the HIP estimator, which a merged sketch
   * (or one restored from the changelog after a merge) no longer can: the composite one depends only on the
   * registers, so the emitted count is the same whatever the window's history, and matches merged windows.
   */
  static long estimate(HllSketch sketch) {
    return Math.round(sketch.getCompositeEstimate());
  }

  public DDSketch latency() {
    return latency;
  }

  /** The contract's view: rates derived here, sketches serialized with the shared codec so the judge can merge them. */
  public VariantStats toStats() {
    long unique = uniqueUnits();
    // Converting units are a subset of exposed units; HLL noise must not push the rate above 1.
    long converting = Math.min(convertingUnits(), unique);
    boolean hasLatency = requests > 0 && !latency.isEmpty();
    return VariantStats.newBuilder()
        .setImpressions(impressions)
        .setUniqueUsers(unique)
        .setRequests(requests)
        .setErrors(errors)
        .setErrorRate(requests == 0 ? 0.0 : (double) errors / requests)
        .setLatencyP50Ms(hasLatency ? latency.getValueAtQuantile(0.50) : null)
        .setLatencyP95Ms(hasLatency ? latency.getValueAtQuantile(0.95) : null)
        .setLatencyP99Ms(hasLatency ? latency.getValueAtQuantile(0.99) : null)
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(latency)))
        .setConversions(conversions)
        .setConvertingUsers(converting)
        .setConversionRate(unique == 0 ? 0.0 : (double) converting / unique)
        .setUserSketch(ByteBuffer.wrap(Sketches.encodeDistinct(units)))
        .setConvertingSketch(ByteBuffer.wrap(Sketches.encodeDistinct(convertingUnits)))
        .build();
  }
}
