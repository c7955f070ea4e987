package dev.rollguard.streams.windows;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The aggregator's view of the sources' progress: minimum over the active ones, idle ones left out. */
final class SourceWatermarksTest {
  private final SourceWatermarks sources = new SourceWatermarks(Duration.ofSeconds(30));

  @Test
  void theWatermarkIsTheSlowestActiveSource() {
    sources.heard(0, 100_000, 0);
    sources.heard(1, 40_000, 0);
    sources.heard(2, 70_000, 0);
    assertThat(sources.watermark(0)).isEqualTo(40_000);
    sources.heard(1, 90_000, 1_000);
    assertThat(sources.watermark(1_000)).isEqualTo(70_000);
  }

  @Test
  void theLatestReportOfASourceCountsEvenWhenItIsLower() {
    sources.heard(0, 100_000, 0);
    assertThat(sources.heard(0, 60_000, 1_000)).as("the task's other topic, behind").isEqualTo(60_000);
    assertThat(sources.watermark(1_000)).isEqualTo(60_000);
  }

  @Test
  void aSourceSilentLongerThanTheIdleTimeoutIsLeftOutUntilItReportsAgain() {
    sources.heard(0, 10_000, 0);
    sources.heard(1, 500_000, 0);
    sources.heard(1, 520_000, 30_000);
    assertThat(sources.watermark(30_000)).as("30 s silent: still counts").isEqualTo(10_000);
    assertThat(sources.watermark(30_001)).isEqualTo(520_000);
    assertThat(sources.idle(30_001)).isEqualTo(1);
    sources.heard(0, 12_000, 31_000);
    assertThat(sources.watermark(31_000)).isEqualTo(12_000);
    assertThat(sources.watermark(70_000)).as("everyone idle: nothing to go by").isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void expectedAndRestoredSourcesHoldWindowsUntilTheyReportOrIdle() {
    sources.restore(3, 80_000, 0);
    sources.expect(2, 0);
    sources.heard(0, 100_000, 5_000);
    assertThat(sources.watermark(5_000)).as("source 1 never heard").isEqualTo(Long.MIN_VALUE);
    sources.heard(1, 90_000, 6_000);
    assertThat(sources.watermark(6_000)).as("source 3 as persisted").isEqualTo(80_000);
    assertThat(sources.watermark(30_001)).as("source 3 idle since the restart").isEqualTo(90_000);
  }

  @Test
  void theIdleTimeoutIsTheGraceAndAtLeastThreeCloseChecks() {
    assertThat(SourceWatermarks.idleTimeout(Duration.ofSeconds(30), Duration.ofSeconds(1)))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(SourceWatermarks.idleTimeout(Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isEqualTo(Duration.ofSeconds(3));
  }
}
