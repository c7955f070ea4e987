package dev.rollguard.streams.windows;

import dev.rollguard.avro.FlagImpression;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Validates a {@code FlagImpression} and turns it into one {@link Observation} keyed by {@link FlagKey}, stamped with
 * the event time; a bad one becomes a {@code DeadLetter} (key null, routed to the dead-letter topic).
 */
final class ImpressionIntake implements Processor<byte[], FlagImpression, String, Object> {
  private final EventValidation validation;
  private final DeadLetters deadLetters;
  private ProcessorContext<String, Object> context;

  ImpressionIntake(EventValidation validation, DeadLetters deadLetters) {
    this.validation = validation;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], FlagImpression> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    FlagImpression e = record.value();
    long now = context.currentSystemTimeMs();
    EventValidation.Problem problem = e == null
        ? new EventValidation.Problem(DeadLetterReason.NULL_VALUE, "null value (tombstone) on an event topic")
        : validation.check(e, now);
    if (problem != null) {
      context.forward(new Record<>(null, deadLetters.create(problem.reason(), problem.detail(), meta.topic(),
          meta.partition(), meta.offset(), record.key(), null, now), record.timestamp()));
      return;
    }
    long ts = e.getTimestamp().toEpochMilli();
    Observation o = Observation.impression(ts, Variants.effective(e.getEnabled(), e.getVariant()),
        Variants.unit(e.getUserId(), e.getSessionId(), e.getEventId()), meta.partition(), meta.offset());
    context.forward(new Record<>(new FlagKey(e.getEnvironment(), e.getFeatureName()).format(), o, ts));
  }
}
