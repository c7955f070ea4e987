package dev.rollguard.streams.windows;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.RequestMetric;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Validates a {@code RequestMetric} and fans it out: one {@link Observation} per flag it was served under, keyed by
 * {@link FlagKey}. A flag listed twice in one request counts once (first exposure wins). A bad request becomes one
 * {@code DeadLetter}.
 */
final class RequestMetricIntake implements Processor<byte[], RequestMetric, String, Object> {
  private final EventValidation validation;
  private final DeadLetters deadLetters;
  private ProcessorContext<String, Object> context;

  RequestMetricIntake(EventValidation validation, DeadLetters deadLetters) {
    this.validation = validation;
    this.deadLetters = deadLetters;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], RequestMetric> record) {
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    RequestMetric e = record.value();
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
    String unit = Variants.unit(e.getUserId(), e.getSessionId(), e.getEventId());
    Set<String> seen = e.getExposures().size() > 1 ? new HashSet<>() : null;
    for (Exposure x : e.getExposures()) {
      if (seen != null && !seen.add(x.getFeatureName())) {
        continue;
      }
      Observation o = Observation.request(ts, Variants.effective(x.getEnabled(), x.getVariant()), unit,
          e.getLatencyMs(), e.getError(), e.getConverted(), meta.partition(), meta.offset());
      context.forward(new Record<>(new FlagKey(e.getEnvironment(), x.getFeatureName()).format(), o, ts));
    }
  }
}
