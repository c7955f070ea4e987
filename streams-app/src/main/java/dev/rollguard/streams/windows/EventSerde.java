package dev.rollguard.streams.windows;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The value serde of the intake's one source over both event topics: each record is read by the Avro serde of the
 * topic it came from. One source and one intake node instead of two of each plus a merge: less per-record overhead.
 */
final class EventSerde implements Serde<SpecificRecord> {
  private final String impressionsTopic;
  private final WindowsSerdes serdes;

  EventSerde(String impressionsTopic, WindowsSerdes serdes) {
    this.impressionsTopic = impressionsTopic;
    this.serdes = serdes;
  }

  @Override
  public Deserializer<SpecificRecord> deserializer() {
    Deserializer<? extends SpecificRecord> impressions = serdes.impressions().deserializer();
    Deserializer<? extends SpecificRecord> requests = serdes.requestMetrics().deserializer();
    return (topic, bytes) -> impressionsTopic.equals(topic)
        ? impressions.deserialize(topic, bytes) : requests.deserialize(topic, bytes);
  }

  @Override
  public Serializer<SpecificRecord> serializer() {
    return (topic, value) -> {
      throw new UnsupportedOperationException("the intake only reads events");
    };
  }
}
