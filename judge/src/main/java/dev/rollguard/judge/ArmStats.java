package dev.rollguard.judge;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.judge.stats.DistinctCount;
import dev.rollguard.judge.stats.Proportions;
import dev.rollguard.schemas.Sketches;

/** One arm's statistics decoded once for the tests: counts, user counts with their sketch error, latency sketch. */
record ArmStats(long impressions, long requests, long errors, DistinctCount users, DistinctCount converting,
                DDSketch latency) {

  static final ArmStats EMPTY = new ArmStats(0, 0, 0, DistinctCount.exact(0), DistinctCount.exact(0),
      Sketches.newLatencySketch());

  static ArmStats of(VariantStats stats) {
    if (stats == null) {
      return EMPTY;
    }
    return new ArmStats(stats.getImpressions(), stats.getRequests(), stats.getErrors(),
        DistinctCount.of(stats.getUniqueUsers(), WindowStatsMerger.bytes(stats.getUserSketch())),
        DistinctCount.of(stats.getConvertingUsers(), WindowStatsMerger.bytes(stats.getConvertingSketch())),
        Sketches.decodeLatency(WindowStatsMerger.bytes(stats.getLatencySketch())));
  }

  double errorRate() {
    return Proportions.rate(errors, requests);
  }

  double conversionRate() {
    return Proportions.rate(converting.estimate(), users.estimate());
  }

  /** Exposure units for the split: users when known, else impressions, else requests. */
  double exposureUnits() {
    if (users.estimate() > 0) {
      return users.estimate();
    }
    return impressions > 0 ? impressions : requests;
  }

  boolean isSilent() {
    return requests == 0 && impressions == 0 && users.estimate() == 0;
  }
}
