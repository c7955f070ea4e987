package dev.rollguard.demo;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prints decisions (from {@code rollout.decisions}, read_committed, so an aborted attempt never shows) and what the
 * applier did with them (from {@code rollout.applied}) as they happen, one human-readable line each. Applier outcomes
 * for decisions that change nothing (HOLD, advisory) are not printed: the decision line already says so.
 */
final class DecisionPrinter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DecisionPrinter.class);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
      .withZone(ZoneId.systemDefault());

  private final PrintWriter out;
  private final String decisionsTopic;
  private final String appliedTopic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AvroSerde<RolloutDecision> decisions;
  private final AvroSerde<ApplyOutcome> outcomes;
  private final Consumer<RolloutDecision> onDecision;
  private final Thread thread;
  private final AtomicLong decisionCount = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean started;

  DecisionPrinter(String bootstrapServers, SchemaRegistryClient registry, String decisionsTopic, String appliedTopic,
      PrintWriter out, Consumer<RolloutDecision> onDecision) {
    this.out = out;
    this.decisionsTopic = decisionsTopic;
    this.appliedTopic = appliedTopic;
    this.onDecision = onDecision;
    this.decisions = AvroSerde.forValues(RolloutDecision.class, registry);
    this.outcomes = AvroSerde.forValues(ApplyOutcome.class, registry);
    this.consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.CLIENT_ID_CONFIG, "rollguard-demo-printer",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "rollguard-demo-printer");
  }

  DecisionPrinter start() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(decisionsTopic, appliedTopic)) {
      consumer.partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    // No consumer group: the printer reads everything from the start of this run's fresh topics.
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    started = true;
    thread.start();
    return this;
  }

  long decisionsPrinted() {
    return decisionCount.get();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          try {
            if (r.topic().equals(decisionsTopic)) {
              RolloutDecision d = decisions.deserialize(r.topic(), r.value());
              if (d != null) {
                decisionCount.incrementAndGet();
                out.println(decisionLine(d));
                onDecision.accept(d);
              }
            } else {
              ApplyOutcome o = outcomes.deserialize(r.topic(), r.value());
              if (o != null && isWorthPrinting(o)) {
                out.println(outcomeLine(o));
              }
            }
            out.flush();
          } catch (RuntimeException e) {
            log.warn("cannot print a record from {}: {}", r.topic(), e.toString());
          }
        }
      }
    } catch (WakeupException e) {
      // close() woke the poll up: stop.
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** {@code 12:01:10  new-checkout  production  INCREASE 10% → 25%  (RULES) <why>; <metrics>}. */
  static String decisionLine(RolloutDecision d) {
    String change = d.getAction() == Action.HOLD
        ? "HOLD at " + d.getFromPercent() + "%"
        : d.getAction() + " " + d.getFromPercent() + "% → " + d.getToPercent() + "%";
    String decidedBy = d.getDecidedBy() + (d.getMode() == Mode.ADVISORY ? ", advisory" : "");
    return String.format(Locale.ROOT, "%s  %s  %s  %-20s (%s) %s", TIME.format(d.getWindowEnd()),
        LogText.clean(d.getFlag()), LogText.clean(d.getEnvironment()), change, decidedBy,
        LogText.clean(summary(d.getReason())));
  }

  /** The reason without its leading "ACTION a% → b%: " (already printed) and its statistical footnote. */
  static String summary(String reason) {
    String s = reason == null ? "" : reason;
    int colon = s.indexOf(": ");
    if (colon > 0 && colon < 40 && s.substring(0, colon).matches("[A-Z]+ .*%.*")) {
      s = s.substring(colon + 2);
    }
    int alpha = s.indexOf("; α ");
    return alpha > 0 ? s.substring(0, alpha) : s;
  }

  static boolean isWorthPrinting(ApplyOutcome o) {
    return o.getOutcome() != OutcomeKind.SKIPPED
        || !(o.getReason().contains("changes nothing"));
  }

  static String outcomeLine(ApplyOutcome o) {
    return String.format(Locale.ROOT, "%s  %s  %s  applier: %s", TIME.format(o.getAt() == null ? Instant.now()
        : o.getAt()), LogText.clean(o.getFlag()), LogText.clean(o.getEnvironment()), LogText.clean(o.getReason()));
  }

  @Override
  public void close() {
    running = false;
    if (!started) {
      consumer.close(Duration.ofSeconds(5));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
