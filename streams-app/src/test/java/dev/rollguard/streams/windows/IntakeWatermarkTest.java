package dev.rollguard.streams.windows;

import static dev.rollguard.streams.windows.Events.exposure;
import static dev.rollguard.streams.windows.Events.impression;
import static dev.rollguard.streams.windows.Events.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.schemas.serde.InMemorySchemaRegistryClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The intake's watermark: what one task reports after each flush, with several events per flush. */
final class IntakeWatermarkTest {
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

  private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
  private final PartialWindowStore store = new PartialWindowStore(WindowsTopology.PARTIALS_STORE);
  private Intake intake;
  private long offset;

  @BeforeEach
  void start() {
    context.setCurrentSystemTimeMs(T0.toEpochMilli());
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    DeadLetters deadLetters = new DeadLetters("dlq", WindowsSerdes.of(new InMemorySchemaRegistryClient())
        .deadLetters(), new WindowsMetrics(new SimpleMeterRegistry()));
    intake = new Intake(new EventValidation(Duration.ofMinutes(5)), deadLetters, WindowsTopology.PARTIALS_STORE,
        Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofSeconds(1), new WatermarkPartitioner());
    intake.init(context);
  }

  private void process(String topic, SpecificRecord event, Instant at) {
    context.setRecordMetadata(topic, 3, offset++);
    intake.process(new Record<>(null, event, at.toEpochMilli()));
  }

  private void impressionAt(long secondsAfterT0) {
    Instant at = T0.plusSeconds(secondsAfterT0);
    process("flag.impressions", impression("checkout", true, "blue", "u", at), at);
  }

  private void requestAt(long secondsAfterT0) {
    Instant at = T0.plusSeconds(secondsAfterT0);
    process("flag.request-metrics", request("u", at, 10, exposure("checkout", true, "blue")).build(), at);
  }

  private SourceWatermark flush() {
    context.resetForwards();
    store.flushCache();
    List<Object> sent = context.forwarded().stream().map(f -> (Object) f.record().value()).toList();
    assertThat(sent).as("partials first, the watermark last").last().isInstanceOf(SourceWatermark.class);
    assertThat(sent.subList(0, sent.size() - 1)).allMatch(PartialWindow.class::isInstance);
    return (SourceWatermark) sent.get(sent.size() - 1);
  }

  @Test
  void reportsTheTopicThatIsBehindWhenBothHadEvents() {
    impressionAt(10);
    impressionAt(70);
    requestAt(20);
    requestAt(30);
    assertThat(flush().eventTime()).isEqualTo(T0.plusSeconds(30).toEpochMilli());
  }

  @Test
  void aTopicWithoutEventsSinceTheLastFlushDoesNotHoldTheTaskBack() {
    requestAt(20);
    impressionAt(40);
    flush();
    impressionAt(90);
    impressionAt(95);
    SourceWatermark w = flush();
    assertThat(w.eventTime()).isEqualTo(T0.plusSeconds(95).toEpochMilli());
    assertThat(w.source()).as("the task's partition").isEqualTo(0);
  }

  @Test
  void nothingIsSentWithoutNewEvents() {
    impressionAt(10);
    flush();
    context.resetForwards();
    store.flushCache();
    assertThat(context.forwarded()).isEmpty();
  }

  /**
   * Windows are 1 minute from T0 with 30 s grace, so windows close at T0 + 30 s (the one before T0), T0 + 90 s,
   * T0 + 150 s, ...
   */
  @Test
  void asksForACommitWhenATopicsEventsFirstPassAWindowsCloseTime() {
    impressionAt(10);
    impressionAt(29);
    requestAt(25);
    assertThat(context.committed()).as("nothing has crossed a close time yet").isFalse();
    impressionAt(30);
    assertThat(context.committed()).as("the impressions reached T0 + 30 s").isTrue();
    context.resetCommit();
    impressionAt(50);
    impressionAt(89);
    assertThat(context.committed()).as("once per close time and topic").isFalse();
    requestAt(40);
    assertThat(context.committed()).as("the requests reached T0 + 30 s too").isTrue();
    context.resetCommit();
    impressionAt(90);
    assertThat(context.committed()).as("the next close time, T0 + 90 s").isTrue();
  }
}
