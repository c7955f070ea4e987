package dev.rollguard.streams.decisions;

import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.streams.windows.FlagKey;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One closed window in, at most one decision out: looks up the flag's state (global store) and step progress
 * (changelogged store), runs {@link DecisionCore} (which may wait, bounded, for the advisor), then writes the new
 * progress and forwards the decision, both in the task's exactly-once transaction. A replayed window, or one the
 * judge cannot handle, is counted and logged, never decided twice.
 */
final class DecisionProcessor implements Processor<String, FlagWindowStats, String, RolloutDecision> {
  private static final Logger log = LoggerFactory.getLogger(DecisionProcessor.class);

  private final DecisionCore core;
  private final DecisionMetrics metrics;
  private final String flagStateTopic;
  private final Deserializer<FlagState> flagStateDeserializer;
  private final Clock clock;
  private ProcessorContext<String, RolloutDecision> context;
  private KeyValueStore<String, StepProgress> progress;
  private KeyValueStore<String, byte[]> flagStates;

  DecisionProcessor(DecisionCore core, DecisionMetrics metrics, String flagStateTopic,
                    Deserializer<FlagState> flagStateDeserializer, Clock clock) {
    this.core = core;
    this.metrics = metrics;
    this.flagStateTopic = flagStateTopic;
    this.flagStateDeserializer = flagStateDeserializer;
    this.clock = clock;
  }

  @Override
  public void init(ProcessorContext<String, RolloutDecision> context) {
    this.context = context;
    this.progress = context.getStateStore(DecisionTopology.PROGRESS_STORE);
    this.flagStates = context.getStateStore(DecisionTopology.FLAG_STATE_STORE);
  }

  @Override
  public void process(Record<String, FlagWindowStats> record) {
    FlagWindowStats window = record.value();
    if (window == null) {
      metrics.skipped("tombstone");
      log.atWarn().addKeyValue("key", LogSafe.of(record.key(), 200)).log("window statistics without a value skipped");
      return;
    }
    String key;
    try {
      // The value, not the record key, names the flag: the output and the store are keyed the same way regardless.
      key = new FlagKey(window.getEnvironment(), window.getFlag()).format();
    } catch (IllegalArgumentException e) {
      metrics.skipped("invalid");
      log.atError().addKeyValue("environment", LogSafe.of(window.getEnvironment(), 200))
          .log("window statistics with an invalid environment skipped");
      return;
    }
    byte[] stateBytes = flagStates.get(key);
    FlagState state = stateBytes == null ? null : flagStateDeserializer.deserialize(flagStateTopic, stateBytes);
    DecisionCore.Result result;
    try {
      result = core.decide(window, state, progress.get(key));
    } catch (RuntimeException e) {
      // A window the judge cannot handle must not stop every other flag's decisions (a poison pill).
      metrics.skipped("invalid");
      log.atError().setCause(e).addKeyValue("flag", LogSafe.of(window.getFlag(), 200))
          .addKeyValue("environment", LogSafe.of(window.getEnvironment(), 200))
          .addKeyValue("windowEnd", window.getWindowEnd()).log("window statistics could not be judged: skipped");
      return;
    }
    if (!result.decided()) {
      metrics.skipped("replay");
      log.atInfo().addKeyValue("flag", LogSafe.of(window.getFlag(), 200))
          .addKeyValue("environment", LogSafe.of(window.getEnvironment(), 200))
          .addKeyValue("windowEnd", window.getWindowEnd()).log("window already decided: ignored");
      return;
    }
    progress.put(key, result.progress());
    RolloutDecision d = result.decision();
    context.forward(new Record<>(key, d, record.timestamp()));
    metrics.decided(d.getDecidedBy(), result.fallbackKind(), Duration.between(d.getWindowEnd(), clock.instant()));
    log.atInfo()
        .addKeyValue("flag", LogSafe.of(d.getFlag(), 200))
        .addKeyValue("environment", LogSafe.of(d.getEnvironment(), 200))
        .addKeyValue("windowEnd", d.getWindowEnd())
        .addKeyValue("action", d.getAction())
        .addKeyValue("fromPercent", d.getFromPercent())
        .addKeyValue("toPercent", d.getToPercent())
        .addKeyValue("decidedBy", d.getDecidedBy())
        .addKeyValue("fallback", result.fallbackKind())
        .addKeyValue("mode", d.getMode())
        .addKeyValue("advisorMs", d.getAdvice() != null ? d.getAdvice().getLatencyMs() : null)
        .addKeyValue("decisionId", d.getDecisionId())
        .addKeyValue("reason", LogSafe.of(d.getReason(), 400))
        .log("decision");
  }
}
