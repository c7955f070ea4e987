package dev.rollguard.streams.decisions;

import dev.rollguard.avro.FlagState;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global flag-state store: the latest FlagState bytes per {@code "<environment>/<flag>"}, a tombstone
 * deletes. Bytes are checked on the way in, so an undecodable record is logged, counted and skipped (the previous
 * state stays) instead of failing the global thread; they are decoded again at lookup, never re-encoded.
 */
final class FlagStateUpdater implements Processor<String, byte[], Void, Void> {
  private static final Logger log = LoggerFactory.getLogger(FlagStateUpdater.class);

  private final String store;
  private final String topic;
  private final Deserializer<FlagState> deserializer;
  private final DecisionMetrics metrics;
  private KeyValueStore<String, byte[]> states;

  FlagStateUpdater(String store, String topic, Deserializer<FlagState> deserializer, DecisionMetrics metrics) {
    this.store = store;
    this.topic = topic;
    this.deserializer = deserializer;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    states = context.getStateStore(store);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (record.key() == null) {
      metrics.skipped("flag-state-without-key");
      log.atWarn().addKeyValue("topic", topic).log("flag state without a key skipped");
      return;
    }
    if (record.value() == null) {
      states.delete(record.key());
      return;
    }
    try {
      deserializer.deserialize(topic, record.value());
    } catch (RuntimeException e) {
      metrics.skipped("flag-state-undecodable");
      log.atError().addKeyValue("topic", topic).addKeyValue("key", LogSafe.of(record.key(), 200))
          .addKeyValue("error", LogSafe.of(String.valueOf(e.getMessage()), 300))
          .log("undecodable flag state skipped; the previous state of this flag stays");
      return;
    }
    states.put(record.key(), record.value());
  }
}
