package dev.rollguard.streams.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.schemas.Sketches;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

final class WindowAggregateSerdeTest {
  private static final FlagKey KEY = new FlagKey("production", "new/checkout ✓");
  private final WindowAggregateSerde serde = new WindowAggregateSerde();

  private static WindowAggregate aggregate(int seed, int from, int to) {
    Random r = new Random(seed);
    WindowAggregate a = new WindowAggregate(KEY, 60_000, 120_000);
    for (int i = from; i < to; i++) {
      String variant = i % 3 == 0 ? "disabled" : "blue";
      if (i % 5 == 0) {
        a.add(Observation.impression(60_000 + i, variant, "u:" + (i % 700), 0, i));
      } else {
        a.add(Observation.request(60_000 + i, variant, "u:" + (i % 700), 20 + 200 * r.nextDouble(), i % 17 == 0,
            i % 11 == 0, 1, i));
      }
    }
    return a;
  }

  @Test
  void roundTripsCountsAndSketches() {
    WindowAggregate a = aggregate(1, 0, 5000);
    byte[] bytes = serde.serialize(a);
    WindowAggregate back = serde.deserialize(bytes);

    assertThat(back.key()).isEqualTo(KEY);
    assertThat(back.windowStart()).isEqualTo(60_000);
    assertThat(back.windowEnd()).isEqualTo(120_000);
    assertSameStatistics(back.toStats(), a.toStats());
  }

  @Test
  void roundTripsAnEmptyAggregateAndNull() {
    WindowAggregate empty = new WindowAggregate(KEY, 0, 1);
    assertThat(serde.deserialize(serde.serialize(empty)).variants()).isEmpty();
    assertThat(serde.serialize(null)).isNull();
    assertThat(serde.deserialize(null)).isNull();
  }

  @Test
  void mergingTwoHalvesEqualsAggregatingEverything() {
    WindowAggregate whole = aggregate(1, 0, 4000);
    WindowAggregate first = aggregate(1, 0, 2000);
    // The second half with the same random sequence as in `whole`: replay the first half's draws.
    WindowAggregate second = new WindowAggregate(KEY, 60_000, 120_000);
    WindowAggregate replay = aggregate(1, 0, 4000);
    assertThat(replay.toStats()).isEqualTo(whole.toStats());
    Random r = new Random(1);
    for (int i = 0; i < 4000; i++) {
      String variant = i % 3 == 0 ? "disabled" : "blue";
      if (i % 5 == 0) {
        if (i >= 2000) {
          second.add(Observation.impression(60_000 + i, variant, "u:" + (i % 700), 0, i));
        }
      } else {
        double latency = 20 + 200 * r.nextDouble();
        if (i >= 2000) {
          second.add(Observation.request(60_000 + i, variant, "u:" + (i % 700), latency, i % 17 == 0, i % 11 == 0,
              1, i));
        }
      }
    }
    first.merge(second);

    assertSameStatistics(first.toStats(), whole.toStats());
  }

  /** Every statistic equal, and the sketches decode to the same counts and quantiles (their bytes may differ). */
  static void assertSameStatistics(FlagWindowStats actual, FlagWindowStats expected) {
    assertThat(actual.getFlag()).isEqualTo(expected.getFlag());
    assertThat(actual.getWindowStart()).isEqualTo(expected.getWindowStart());
    assertThat(actual.getVariants()).containsOnlyKeys(expected.getVariants().keySet());
    actual.getVariants().forEach((name, v) -> {
      var e = expected.getVariants().get(name);
      assertThat(v.getImpressions()).isEqualTo(e.getImpressions());
      assertThat(v.getRequests()).isEqualTo(e.getRequests());
      assertThat(v.getErrors()).isEqualTo(e.getErrors());
      assertThat(v.getConversions()).isEqualTo(e.getConversions());
      assertThat(v.getLatencyP99Ms()).as("DDSketch merges exactly").isEqualTo(e.getLatencyP99Ms());
      assertThat(v.getUniqueUsers()).as("users seen in both halves count once").isEqualTo(e.getUniqueUsers());
      assertThat(v.getConvertingUsers()).isEqualTo(e.getConvertingUsers());
      assertThat(v.getConversionRate()).isEqualTo(e.getConversionRate());
      assertThat(v.getErrorRate()).isEqualTo(e.getErrorRate());
      assertThat(v.getLatencyP50Ms()).isEqualTo(e.getLatencyP50Ms());
      assertThat(v.getLatencyP95Ms()).isEqualTo(e.getLatencyP95Ms());
      var latency = Sketches.decodeLatency(v.getLatencySketch().array());
      assertThat(latency.getCount()).isEqualTo(v.getRequests());
      assertThat(latency.getValueAtQuantile(0.99)).isEqualTo(e.getLatencyP99Ms());
      assertThat(Math.round(Sketches.decodeDistinct(v.getUserSketch().array()).getCompositeEstimate()))
          .isEqualTo(e.getUniqueUsers());
    });
  }

  @Test
  void refusesAnotherWindowOnMerge() {
    WindowAggregate a = new WindowAggregate(KEY, 0, 60_000);
    assertThatThrownBy(() -> a.merge(new WindowAggregate(KEY, 60_000, 120_000)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesCorruptBytes() {
    byte[] bytes = serde.serialize(aggregate(2, 0, 100));
    assertThatThrownBy(() -> serde.deserialize(java.util.Arrays.copyOf(bytes, bytes.length - 3)))
        .isInstanceOf(SerializationException.class);
    bytes[0] = 9;
    assertThatThrownBy(() -> serde.deserialize(bytes)).isInstanceOf(SerializationException.class)
        .hasMessageContaining("version 9");
  }

  @Test
  void partialWindowsRoundTripWithTheirProvenance() {
    PartialWindowSerde s = new PartialWindowSerde();
    PartialWindow p = new PartialWindow(new WindowAggregate(KEY, 60_000, 120_000));
    p.add(Observation.impression(60_010, "blue", "u:1", 2, 40));
    p.add(Observation.request(60_020, "blue", "s:abc", 12.5, true, false, 2, 7));
    p.add(Observation.request(60_005, "disabled", "e:ev", 3.0, false, true, 2, 9));

    PartialWindow back = s.deserialize(s.serialize(p));

    assertSameStatistics(back.aggregate().toStats(), p.aggregate().toStats());
    assertThat(back.observations()).isEqualTo(3);
    assertThat(back.maxTimestamp()).isEqualTo(60_020);
    PartialWindow.Source requests = back.source(Observation.Kind.REQUEST);
    assertThat(List.of(requests.events(), (long) requests.partition(), requests.firstOffset(), requests.lastOffset(),
        requests.minTimestamp(), requests.maxTimestamp())).containsExactly(2L, 2L, 7L, 9L, 60_005L, 60_020L);
    assertThat(back.source(Observation.Kind.IMPRESSION).events()).isEqualTo(1);
    assertThat(s.serialize(null)).isNull();
    byte[] bytes = s.serialize(p);
    assertThatThrownBy(() -> s.deserialize(java.util.Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void flagKeysSplitAtTheFirstSlash() {
    assertThat(FlagKey.parse("production/a/b")).isEqualTo(new FlagKey("production", "a/b"));
    assertThat(new FlagKey("production", "a/b").format()).isEqualTo("production/a/b");
    assertThatThrownBy(() -> new FlagKey("prod/eu", "x")).isInstanceOf(IllegalArgumentException.class);
  }
}
