package dev.rollguard.streams.decisions;

import java.time.Clock;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The decision stage: a Kafka Streams application of its own (application id {@code rollguard-decisions}, its own
 * threads and consumer group), so the windows stage never waits on the LLM.
 *
 * <pre>
 * rollout.flag-state ──► global store flag-states (latest FlagState bytes per "&lt;env&gt;/&lt;flag&gt;")
 *                                     │ lookup
 * rollout.window-stats ──► decide ◄───┘   store step-progress (changelogged): cumulative stats since the step began
 *                            │            judge → advisor (bounded wait) → combiner
 *                            ▼
 *                  rollout.decisions   key "&lt;env&gt;/&lt;flag&gt;", value RolloutDecision, one per flag and window
 * </pre>
 *
 * Flag state is a global table rather than a co-partitioned KTable: the source connector's topic need not have the
 * window-stats topic's partition count, every instance sees every flag (a few hundred small records), and the state
 * is loaded before the first window is processed. Runs under exactly-once v2: the decision and the progress are
 * committed together, so a crash between the LLM's answer and the commit re-decides the window with the same
 * decisionId and the aborted attempt is never visible to read_committed consumers.
 */
public final class DecisionTopology {
  public static final String PROGRESS_STORE = "step-progress";
  public static final String FLAG_STATE_STORE = "flag-states";

  private DecisionTopology() {}

  public static Topology buildTopology(DecisionStageConfig config, DecisionSerdes serdes, DecisionCore core,
                                       DecisionMetrics metrics, Clock clock) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(FLAG_STATE_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled(),
        config.flagStateTopic(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("flag-state-source"),
        () -> new FlagStateUpdater(FLAG_STATE_STORE, config.flagStateTopic(), serdes.flagState().deserializer(),
            metrics));
    // Persistent (not in-memory): Kafka Streams then keeps its process id in the state directory, so a restarted
    // instance reuses its transactional id and fences the crashed one's open transaction at once.
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROGRESS_STORE), Serdes.String(),
        new StepProgressSerde(serdes.windowStats(), config.windowStatsTopic())));
    builder.stream(config.windowStatsTopic(), Consumed.with(Serdes.String(), serdes.windowStats())
            .withName("window-stats-source"))
        .process(() -> new DecisionProcessor(core, metrics, config.flagStateTopic(), serdes.flagState().deserializer(),
            clock), Named.as("decide"), PROGRESS_STORE)
        .to(config.decisionsTopic(), Produced.with(Serdes.String(), serdes.decisions()).withName("decisions-sink"));
    return builder.build();
  }

  /**
   * {@link DecisionStageConfig#streamsProperties()} plus the deserialization handler, which counts in {@code metrics}
   * and dead-letters undecodable window stats to the configured topic with {@code serdes.deadLetters()}.
   */
  public static Properties streamsProperties(DecisionStageConfig config, DecisionSerdes serdes,
                                             DecisionMetrics metrics) {
    Properties p = config.streamsProperties();
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DecisionDeserializationHandler.class);
    p.put(DecisionDeserializationHandler.METRICS_CONFIG, metrics);
    p.put(DecisionDeserializationHandler.DEAD_LETTERS_CONFIG,
        new DecisionDeserializationHandler.DeadLetterTopic(config.deadLetterTopic(), serdes.deadLetters().serializer()));
    return p;
  }
}
