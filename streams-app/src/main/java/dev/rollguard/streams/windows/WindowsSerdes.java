package dev.rollguard.streams.windows;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import org.apache.kafka.common.serialization.Serde;

/** The value serdes of the topology's topics, all in the Schema Registry wire format against one registry. */
public record WindowsSerdes(
    Serde<FlagImpression> impressions,
    Serde<RequestMetric> requestMetrics,
    Serde<FlagWindowStats> windowStats,
    Serde<DeadLetter> deadLetters) {

  /** Serdes that register the output schemas on first write, as Confluent's serializers do by default. */
  public static WindowsSerdes of(SchemaRegistryClient registry) {
    return of(registry, true);
  }

  public static WindowsSerdes of(SchemaRegistryClient registry, boolean autoRegister) {
    return new WindowsSerdes(
        new AvroSerde<>(FlagImpression.class, registry, false, autoRegister),
        new AvroSerde<>(RequestMetric.class, registry, false, autoRegister),
        new AvroSerde<>(FlagWindowStats.class, registry, false, autoRegister),
        new AvroSerde<>(DeadLetter.class, registry, false, autoRegister));
  }
}
