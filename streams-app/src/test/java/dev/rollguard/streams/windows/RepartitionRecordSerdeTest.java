package dev.rollguard.streams.windows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The repartition topic's values: partials in their own layout, unchanged, and source watermarks. */
final class RepartitionRecordSerdeTest {
  private final RepartitionRecordSerde serde = new RepartitionRecordSerde();

  @Test
  void aSourceWatermarkRoundTrips() {
    SourceWatermark w = new SourceWatermark(3, 4, 1_795_514_405_123L);
    byte[] bytes = serde.serialize(w);
    assertThat(bytes).hasSize(17);
    assertThat(serde.deserialize(bytes)).isEqualTo(w);
  }

  @Test
  void aPartialIsWrittenExactlyAsPartialWindowSerdeWritesIt() {
    PartialWindow p = new PartialWindow(new WindowAggregate(new FlagKey("production", "checkout"), 0, 60_000));
    p.add(Observation.impression(5_000, "blue", "u:1", 2, 7));
    byte[] bytes = serde.serialize(p);
    assertThat(bytes).isEqualTo(new PartialWindowSerde().serialize(p));
    PartialWindow back = (PartialWindow) serde.deserialize(bytes);
    assertThat(back.observations()).isEqualTo(1);
    assertThat(back.source(Observation.Kind.IMPRESSION).firstOffset()).isEqualTo(7);
  }

  @Test
  void aTruncatedWatermarkIsRefused() {
    assertThatThrownBy(() -> serde.deserialize(new byte[] {RepartitionRecordSerde.WATERMARK, 0, 0}))
        .isInstanceOf(SerializationException.class);
  }
}
