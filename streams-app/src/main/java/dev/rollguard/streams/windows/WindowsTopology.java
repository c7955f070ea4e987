package dev.rollguard.streams.windows;

import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.streams.config.StreamsAppConfig;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * The windows topology: raw events in, one {@code FlagWindowStats} per flag, environment and closed window out.
 *
 * <pre>
 * flag.impressions ─────┐
 * flag.request-metrics ─┴► events-source ─► intake: validate, fan out a request per flag, pre-aggregate
 *                                  │         per flag and window (store partial-windows, not logged)
 *                    bad ──────────┼───────────────────────────────────────────► rollout.dlq
 *                                  ▼ partial windows, on each commit (and every close-check-interval),
 *                                  ▼ then the task's source watermark (its event-time progress)
 *                &lt;app&gt;-exposures-repartition (partials by flag key, watermarks to every partition)
 *                                  ▼
 *               window-aggregator: merge partials (store window-aggregates, changelogged),
 *                                  │ close on the slowest active source's event time + wall clock
 *                                  ├─► rollout.window-stats  key "&lt;env&gt;/&lt;flag&gt;", value FlagWindowStats
 *                                  └─► rollout.dlq           late partials (count and offsets inside)
 * </pre>
 *
 * Input keys are ignored. Undecodable input is dead-lettered by {@link DeadLetterDeserializationHandler}, which
 * {@link #streamsProperties} installs. Tests and {@code rollguard simulate} run the same topology in
 * {@code TopologyTestDriver} with an in-memory registry (which commits after every record, so there each partial
 * holds one event).
 */
public final class WindowsTopology {
  public static final String STORE = "window-aggregates";
  /** The intake's pre-aggregation buffer (see {@link PartialWindowStore}); in memory, no changelog. */
  public static final String PARTIALS_STORE = "partial-windows";
  /** Name of the repartition step; the topic is {@code <application.id>-exposures-repartition}. */
  public static final String REPARTITION = "exposures";
  /**
   * Default commit interval (Streams' own: 100 ms under exactly-once, 30 s under at-least-once). The intake forwards
   * its partial windows on each commit, so this is how long an observation may wait before it reaches its window and
   * how much input a crash replays. 1 s is small next to the windows and their grace, and a tenth of the transactions
   * and partials of 100 ms (see BENCHMARKS.md); override with {@code kafka.commit.interval.ms}.
   */
  static final String DEFAULT_COMMIT_INTERVAL_MS = "1000";

  private WindowsTopology() {}

  public static Topology buildTopology(StreamsAppConfig config, WindowsSerdes serdes, WindowsMetrics metrics) {
    DeadLetters deadLetters = new DeadLetters(config.deadLetterTopic(), serdes.deadLetters(), metrics);
    EventValidation validation = new EventValidation(config.maxFutureSkew());
    Produced<byte[], DeadLetter> toDlq = Produced.with(Serdes.ByteArray(), serdes.deadLetters());
    StreamsBuilder builder = new StreamsBuilder();

    WatermarkPartitioner partitioner = new WatermarkPartitioner();
    builder.addStateStore(PartialWindowStore.builder(PARTIALS_STORE));
    var intake = builder
        .stream(List.of(config.impressionsTopic(), config.requestMetricsTopic()),
            Consumed.with(Serdes.ByteArray(), new EventSerde(config.impressionsTopic(), serdes))
                .withName("events-source"))
        .process(() -> new Intake(validation, deadLetters, PARTIALS_STORE, config.windowSize(),
            config.windowGrace(), config.closeCheckInterval(), partitioner), Named.as("intake"), PARTIALS_STORE)
        .split(Named.as("intake-"))
        .branch((k, v) -> v instanceof DeadLetter, Branched.as("invalid"))
        .defaultBranch(Branched.as("partials"));
    intake.get("intake-invalid")
        .map((k, v) -> dlqRecord((DeadLetter) v), Named.as("invalid-to-dlq-record"))
        .to(config.deadLetterTopic(), toDlq.withName("invalid-dlq-sink"));

    builder.addStateStore(WindowAggregateStore.builder(STORE));
    var windows = intake.get("intake-partials")
        .mapValues(v -> (RepartitionRecord) v, Named.as("as-partial-window"))
        .repartition(Repartitioned.with(Serdes.String(), new RepartitionRecordSerde()).withName(REPARTITION)
            .withStreamPartitioner(partitioner))
        .process(() -> new WindowAggregator(STORE, config.windowGrace(), config.closeCheckInterval(),
                config.impressionsTopic(), config.requestMetricsTopic(), deadLetters),
            Named.as("window-aggregator"), STORE)
        .split(Named.as("windows-"))
        .branch((k, v) -> v instanceof DeadLetter, Branched.as("late"))
        .defaultBranch(Branched.as("closed"));
    windows.get("windows-late")
        .map((k, v) -> dlqRecord((DeadLetter) v), Named.as("late-to-dlq-record"))
        .to(config.deadLetterTopic(), toDlq.withName("late-dlq-sink"));
    windows.get("windows-closed")
        .mapValues(v -> (FlagWindowStats) v, Named.as("as-window-stats"))
        .to(config.windowStatsTopic(), Produced.with(Serdes.String(), serdes.windowStats())
            .withName("window-stats-sink"));
    return builder.build();
  }

  private static KeyValue<byte[], DeadLetter> dlqRecord(DeadLetter d) {
    return KeyValue.pair(DeadLetters.bytes(d.getKey()), d);
  }

  /**
   * Kafka Streams properties: exactly-once v2, a 1 s commit interval, the dead-letter deserialization handler
   * (sharing {@code metrics}), the state directory, then the {@code kafka.*} overrides of the configuration.
   */
  public static Properties streamsProperties(StreamsAppConfig config, WindowsSerdes serdes, WindowsMetrics metrics) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, DEFAULT_COMMIT_INTERVAL_MS);
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class);
    p.put(DeadLetterDeserializationHandler.DEAD_LETTERS_CONFIG,
        new DeadLetters(config.deadLetterTopic(), serdes.deadLetters(), metrics));
    // Opt in to what becomes the default in Kafka 5.0 (and silences its warning); no processing handler is set.
    p.put("processing.exception.handler.global.enabled", "true");
    if (!config.stateDir().isEmpty()) {
      p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
    }
    p.putAll(config.kafka());
    return p;
  }
}
