package dev.rollguard.streams.windows;

import static dev.rollguard.streams.windows.WindowAggregateSerdeTest.assertSameStatistics;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The intake's pre-aggregation: partial windows, flushed at any points and merged in any order, lose nothing. */
final class PartialWindowTest {
  private static final long SIZE = 60_000;
  private static final String[] FLAGS = {"checkout", "search", "banner"};
  private static final String[] VARIANTS = {"disabled", "enabled", "blue"};

  private record Event(FlagKey key, Observation observation) {}

  private static List<Event> workload(long seed, int n) {
    Random r = new Random(seed);
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      FlagKey key = new FlagKey("production", FLAGS[r.nextInt(FLAGS.length)]);
      // Four windows, events out of order by up to 20 s.
      long ts = i * (4 * SIZE) / n + r.nextInt(20_000);
      String variant = VARIANTS[r.nextInt(VARIANTS.length)];
      String unit = "u:" + r.nextInt(900);
      Observation o = r.nextBoolean()
          ? Observation.impression(ts, variant, unit, 1, i)
          : Observation.request(ts, variant, unit, Math.exp(4 + r.nextGaussian()), r.nextInt(50) == 0,
              r.nextInt(30) == 0, 1, i);
      events.add(new Event(key, o));
    }
    return events;
  }

  private static String windowOf(FlagKey key, long timestamp) {
    return key.format() + "@" + Math.floorDiv(timestamp, SIZE) * SIZE;
  }

  @Test
  void partialsFlushedAtRandomPointsAndMergedInAnyOrderEqualAggregatingEveryObservation() {
    List<Event> events = workload(11, 30_000);
    Map<String, WindowAggregate> direct = new HashMap<>();
    for (Event e : events) {
      long start = Math.floorDiv(e.observation().timestamp(), SIZE) * SIZE;
      direct.computeIfAbsent(windowOf(e.key(), start), k -> new WindowAggregate(e.key(), start, start + SIZE))
          .add(e.observation());
    }

    PartialWindowStore store = new PartialWindowStore("partials");
    PartialWindowSerde serde = new PartialWindowSerde();
    List<byte[]> onTheWire = new ArrayList<>();
    store.onFlush(flushed -> flushed.forEach(p -> onTheWire.add(serde.serialize(p))));
    Random flushes = new Random(5);
    for (Event e : events) {
      long start = Math.floorDiv(e.observation().timestamp(), SIZE) * SIZE;
      store.add(e.key(), start, start + SIZE, e.observation());
      if (flushes.nextInt(400) == 0) {
        store.flushCache();
      }
    }
    store.flushCache();
    assertThat(store.size()).isZero();
    assertThat(onTheWire.size()).as("far fewer partials than observations").isLessThan(events.size() / 20);

    Collections.shuffle(onTheWire, new Random(3));
    Map<String, WindowAggregate> merged = new HashMap<>();
    Map<String, Long> observations = new HashMap<>();
    for (byte[] bytes : onTheWire) {
      PartialWindow p = serde.deserialize(bytes);
      String window = windowOf(p.aggregate().key(), p.aggregate().windowStart());
      merged.merge(window, p.aggregate(), (a, b) -> {
        a.merge(b);
        return a;
      });
      observations.merge(window, p.observations(), Long::sum);
    }

    assertThat(merged.keySet()).containsExactlyInAnyOrderElementsOf(direct.keySet());
    direct.forEach((window, expected) -> {
      assertSameStatistics(merged.get(window).toStats(), expected.toStats());
      long count = expected.variants().values().stream().mapToLong(v -> v.impressions() + v.requests()).sum();
      assertThat(observations.get(window)).isEqualTo(count);
    });
  }

  @Test
  void flushesOldestEventsFirstWithTheirSourceRange() {
    PartialWindowStore store = new PartialWindowStore("partials");
    List<PartialWindow> flushed = new ArrayList<>();
    store.onFlush(flushed::addAll);
    FlagKey checkout = new FlagKey("production", "checkout");
    store.add(checkout, SIZE, 2 * SIZE, Observation.impression(SIZE + 5_000, "blue", "u:1", 3, 100));
    store.add(checkout, 0, SIZE, Observation.impression(59_000, "blue", "u:2", 3, 101));
    store.add(checkout, 0, SIZE, Observation.request(58_000, "blue", "u:2", 10, false, false, 3, 102));
    store.add(checkout, 0, SIZE, Observation.impression(50_000, "blue", "u:3", 3, 104));

    store.flushCache();

    assertThat(flushed).extracting(p -> p.aggregate().windowStart()).containsExactly(0L, SIZE);
    PartialWindow.Source impressions = flushed.get(0).source(Observation.Kind.IMPRESSION);
    assertThat(impressions.events()).isEqualTo(2);
    assertThat(impressions.partition()).isEqualTo(3);
    assertThat(impressions.firstOffset()).isEqualTo(101);
    assertThat(impressions.lastOffset()).isEqualTo(104);
    assertThat(flushed.get(0).maxTimestamp()).isEqualTo(59_000);
    assertThat(flushed.get(0).observations()).isEqualTo(3);

    flushed.clear();
    store.add(checkout, 0, SIZE, Observation.impression(1, "blue", "u:4", 3, 105));
    store.clearCache();
    store.flushCache();
    assertThat(flushed).as("a dirty close drops the uncommitted partials: their inputs are read again").isEmpty();
  }
}
