package dev.rollguard.judge.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.rollguard.schemas.Sketches;
import org.junit.jupiter.api.Test;

final class LatencyTailTest {
  @Test
  void countsRequestsAboveAThresholdFromTheSketchBins() {
    DDSketch sketch = Sketches.newLatencySketch();
    for (int ms = 1; ms <= 1000; ms++) {
      sketch.accept(ms);
    }
    // Strictly above the bin holding 900 ms: that bin is about 2% wide, so 80 to 100 of the 100 values above 900.
    assertThat(LatencyTail.countAbove(sketch, 900)).isBetween(80.0, 100.0);
    assertThat(LatencyTail.countAbove(sketch, 500)).isBetween(490.0, 500.0);
    assertThat(LatencyTail.countAbove(sketch, 5000)).isZero();
    assertThat(LatencyTail.quantile(sketch, 0.99)).isCloseTo(990, within(990 * 0.011));
    assertThat(LatencyTail.quantile(Sketches.newLatencySketch(), 0.99)).isNaN();
  }
}
