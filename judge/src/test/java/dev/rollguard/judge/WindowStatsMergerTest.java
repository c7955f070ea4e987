package dev.rollguard.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.schemas.Sketches;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class WindowStatsMergerTest {
  private static VariantStats arm(long users, long requests, long errors, long converting, DDSketch latency,
                                  long firstUser) {
    return TestStats.variant(new TestStats.Arm(users, requests, errors, converting, latency, firstUser));
  }

  @Test
  void sumsCountsAndRecomputesRates() {
    FlagWindowStats first = TestStats.window(0, Map.of("enabled", arm(100, 200, 2, 10, TestStats.samples(new double[] {10, 20}), 1)));
    FlagWindowStats second = TestStats.window(1, Map.of("enabled", arm(300, 600, 30, 15, TestStats.samples(new double[] {30}), 1_000)));
    FlagWindowStats merged = WindowStatsMerger.merge(first, second);
    VariantStats enabled = merged.getVariants().get("enabled");
    assertThat(enabled.getRequests()).isEqualTo(800);
    assertThat(enabled.getErrors()).isEqualTo(32);
    assertThat(enabled.getErrorRate()).isEqualTo(32.0 / 800);
    assertThat(enabled.getUniqueUsers()).isCloseTo(400L, within(8L));
    assertThat(enabled.getConvertingUsers()).isEqualTo(25);
    assertThat(enabled.getConversionRate())
        .isEqualTo((double) enabled.getConvertingUsers() / enabled.getUniqueUsers());
    assertThat(merged.getWindowStart()).isEqualTo(first.getWindowStart());
    assertThat(merged.getWindowEnd()).isEqualTo(second.getWindowEnd());
  }

  @Test
  void aUserSeenInSeveralWindowsIsCountedOnce() {
    FlagWindowStats first = TestStats.window(0, Map.of("enabled", arm(500, 1_000, 0, 50, TestStats.samples(new double[] {1}), 1)));
    FlagWindowStats second = TestStats.window(1, Map.of("enabled", arm(500, 1_000, 0, 50, TestStats.samples(new double[] {1}), 251)));
    VariantStats merged = WindowStatsMerger.merge(first, second).getVariants().get("enabled");
    assertThat(merged.getUniqueUsers()).as("ids 1..750").isCloseTo(750L, within(15L));
    assertThat(merged.getConvertingUsers()).as("ids 1..50 and 251..300").isCloseTo(100L, within(2L));
  }

  @Test
  void mergedQuantilesComeFromTheMergedSketch() {
    DDSketch all = Sketches.newLatencySketch();
    DDSketch a = Sketches.newLatencySketch();
    DDSketch b = Sketches.newLatencySketch();
    for (int i = 1; i <= 2_000; i++) {
      (i % 3 == 0 ? a : b).accept(i);
      all.accept(i);
    }
    FlagWindowStats merged = WindowStatsMerger.merge(
        TestStats.window(0, Map.of("disabled", arm(1, (long) a.getCount(), 0, 0, a, 1))),
        TestStats.window(1, Map.of("disabled", arm(1, (long) b.getCount(), 0, 0, b, 2))));
    VariantStats control = merged.getVariants().get("disabled");
    assertThat(control.getLatencyP99Ms()).isEqualTo(all.getValueAtQuantile(0.99));
    assertThat(control.getLatencyP50Ms()).isCloseTo(1_000, within(15.0));
    assertThat(Sketches.decodeLatency(WindowStatsMerger.bytes(control.getLatencySketch())).getCount()).isEqualTo(2_000);
  }

  @Test
  void variantsPresentInOnlyOneWindowAreKept() {
    FlagWindowStats first = TestStats.window(0, Map.of("disabled", arm(10, 10, 0, 0, TestStats.samples(new double[] {1}), 1)));
    FlagWindowStats second = TestStats.window(1, Map.of("enabled", arm(5, 5, 1, 0, TestStats.samples(new double[] {1}), 100)));
    assertThat(WindowStatsMerger.merge(first, second).getVariants()).containsOnlyKeys("disabled", "enabled");
    assertThat(WindowStatsMerger.merge(null, second)).isSameAs(second);
  }

  @Test
  void withoutUserSketchesUserCountsAreSummed() {
    VariantStats noSketch = VariantStats.newBuilder()
        .setImpressions(20).setUniqueUsers(10).setRequests(20).setErrors(0).setErrorRate(0)
        .setLatencySketch(ByteBuffer.wrap(Sketches.encodeLatency(TestStats.samples(new double[] {1}))))
        .setConversions(2).setConvertingUsers(2).setConversionRate(0.2)
        .setUserSketch(ByteBuffer.allocate(0)).setConvertingSketch(ByteBuffer.allocate(0)).build();
    VariantStats merged = WindowStatsMerger.mergeVariant(noSketch, noSketch);
    assertThat(merged.getUniqueUsers()).isEqualTo(20);
    assertThat(merged.getConvertingUsers()).isEqualTo(4);
  }

  @Test
  void refusesToMergeDifferentFlags() {
    FlagWindowStats a = TestStats.window(0, Map.of());
    FlagWindowStats b = FlagWindowStats.newBuilder().setFlag("other").setEnvironment(TestStats.ENV)
        .setWindowStart(a.getWindowStart()).setWindowEnd(a.getWindowEnd()).setVariants(Map.of()).build();
    assertThatThrownBy(() -> WindowStatsMerger.merge(a, b)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void doesNotDisturbTheInputBuffers() {
    FlagWindowStats first = TestStats.window(0, Map.of("enabled", arm(100, 200, 2, 10, TestStats.samples(new double[] {10}), 1)));
    ByteBuffer sketch = first.getVariants().get("enabled").getLatencySketch();
    int before = sketch.remaining();
    WindowStatsMerger.merge(first, first);
    assertThat(sketch.remaining()).isEqualTo(before);
  }
}
