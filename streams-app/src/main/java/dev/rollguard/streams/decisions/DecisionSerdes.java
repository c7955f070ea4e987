package dev.rollguard.streams.decisions;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import org.apache.kafka.common.serialization.Serde;

/** The value serdes of the decision stage's topics, in the Schema Registry wire format against one registry. */
public record DecisionSerdes(Serde<FlagWindowStats> windowStats, Serde<FlagState> flagState,
                             Serde<RolloutDecision> decisions, Serde<DeadLetter> deadLetters) {

  /** Serdes that register the output schema on first write, as Confluent's serializers do by default. */
  public static DecisionSerdes of(SchemaRegistryClient registry) {
    return of(registry, true);
  }

  /** With {@code autoRegister} false, the output schemas must already be registered under their subjects. */
  public static DecisionSerdes of(SchemaRegistryClient registry, boolean autoRegister) {
    return new DecisionSerdes(
        new AvroSerde<>(FlagWindowStats.class, registry, false, autoRegister),
        new AvroSerde<>(FlagState.class, registry, false, autoRegister),
        new AvroSerde<>(RolloutDecision.class, registry, false, autoRegister),
        new AvroSerde<>(DeadLetter.class, registry, false, autoRegister));
  }
}
