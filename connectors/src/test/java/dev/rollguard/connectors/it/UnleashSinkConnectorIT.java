package dev.rollguard.connectors.it;

import static dev.rollguard.connectors.it.Decisions.decision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.connectors.unleash.FeatureEnvironment;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.Strategy;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashEvent;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applier against a real Unleash (npm unleash-server on embedded PostgreSQL), a real broker and an in-process
 * Connect worker that loads the assembled plugin. One of each for the whole class; every test uses its own flag.
 */
class UnleashSinkConnectorIT {
  private static final String PROJECT = "default";
  private static final String ENV = "development";
  private static final String DECISIONS = "rollout.decisions";
  private static final String DRY_RUN_DECISIONS = "rollout.decisions.dry-run";
  private static final String BAD_TOKEN_DECISIONS = "rollout.decisions.bad-token";
  private static final String OUTCOMES = "rollout.applied";
  private static final String DLQ = "rollout.applier.dlq";
  private static final String BAD_TOKEN_DLQ = "rollout.applier-bad-token.dlq";
  private static final Duration EFFECT = Duration.ofSeconds(30);
  private static final AtomicInteger FLAGS = new AtomicInteger();

  @TempDir
  static Path tmp;
  static EmbeddedKafka kafka;
  static EmbeddedSchemaRegistry registry;
  static UnleashServer unleash;
  static ConnectWorker connect;
  static UnleashAdminClient human;
  static KafkaProducer<byte[], byte[]> producer;
  static AvroSerde<RolloutDecision> decisionSerde;
  static AvroSerde<ApplyOutcome> outcomeSerde;
  static TopicReader outcomes;
  static TopicReader deadLetters;
  static TopicReader badTokenDeadLetters;

  @BeforeAll
  static void startEverything() throws Exception {
    kafka = EmbeddedKafka.start();
    kafka.createTopics(1, DECISIONS, DRY_RUN_DECISIONS, BAD_TOKEN_DECISIONS, OUTCOMES);
    registry = EmbeddedSchemaRegistry.start();
    unleash = UnleashServer.start();
    // OkHttp's defaults (retrying a stale pooled connection) suit the test's client across Unleash restarts.
    human = new UnleashAdminClient(new okhttp3.OkHttpClient(), unleash.url(),
        unleash.humanToken());
    assertThat(human.ensureTagType(FlagTag.TYPE, "Rollguard automation").isOk()).isTrue();

    SchemaRegistryClient registryClient = SchemaRegistryClients.fromConfig(registry.clientConfig());
    decisionSerde = new AvroSerde<>(RolloutDecision.class, registryClient, false, true);
    outcomeSerde = new AvroSerde<>(ApplyOutcome.class, registryClient, false, false);
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());

    // Tokens reach the connector through Connect's FileConfigProvider, as in production: never as literals.
    Path secrets = tmp.resolve("unleash.properties");
    Files.writeString(secrets, "applier=" + unleash.applierToken() + "\nwrong=*:*.0000000000not-a-token\n");

    connect = ConnectWorker.start(kafka.bootstrapServers(), tmp.resolve("connect.offsets"));
    connect.putConnector("applier", applierConfig(DECISIONS, DLQ, "${file:" + secrets + ":applier}"));
    Map<String, String> dryRun = applierConfig(DRY_RUN_DECISIONS, DLQ, "${file:" + secrets + ":applier}");
    dryRun.put("applier.dry.run", "true");
    connect.putConnector("applier-dry-run", dryRun);
    connect.putConnector("applier-bad-token",
        applierConfig(BAD_TOKEN_DECISIONS, BAD_TOKEN_DLQ, "${file:" + secrets + ":wrong}"));

    outcomes = new TopicReader(kafka.bootstrapServers(), OUTCOMES);
    deadLetters = new TopicReader(kafka.bootstrapServers(), DLQ);
    badTokenDeadLetters = new TopicReader(kafka.bootstrapServers(), BAD_TOKEN_DLQ);
  }

  @AfterAll
  static void stopEverything() {
    for (AutoCloseable c : new AutoCloseable[] {outcomes, deadLetters, badTokenDeadLetters, connect, producer,
        unleash, registry, kafka}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("cannot close " + c + ": " + e);
      }
    }
  }

  static Map<String, String> applierConfig(String topic, String dlq, String token) {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", "dev.rollguard.connectors.sink.UnleashSinkConnector");
    config.put("tasks.max", "1");
    config.put("topics", topic);
    config.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    config.put("unleash.url", unleash.url());
    config.put("unleash.token", token);
    config.put("unleash.projects", PROJECT);
    config.put("schema.registry.url", registry.url());
    config.put("outcomes.topic", OUTCOMES);
    config.put("outcomes.bootstrap.servers", kafka.bootstrapServers());
    config.put("applier.retry.backoff.ms", "200");
    config.put("applier.retry.backoff.max.ms", "2000");
    config.put("errors.tolerance", "all");
    config.put("errors.log.enable", "true");
    config.put("errors.retry.timeout", "60000");
    config.put("errors.deadletterqueue.topic.name", dlq);
    config.put("errors.deadletterqueue.topic.replication.factor", "1");
    config.put("errors.deadletterqueue.context.headers.enable", "true");
    return config;
  }

  // --- the cases ---

  @Test
  void increaseRaisesTheRollout() {
    String flag = managedFlag(10);
    RolloutDecision d = send(decision(flag, Action.INCREASE, 10, 25));

    ApplyOutcome outcome = awaitOutcome(d);
    assertThat(outcome.getOutcome()).isEqualTo(OutcomeKind.APPLIED);
    assertThat(outcome.getFromPercent()).isEqualTo(10);
    assertThat(outcome.getToPercent()).isEqualTo(25);
    assertThat(outcome.getHttpStatus()).isEqualTo(200);
    assertThat(rollout(flag)).isEqualTo(25);
    Strategy strategy = environment(flag).flexibleRollout().orElseThrow();
    assertThat(strategy.parameters()).containsEntry("stickiness", "default").containsEntry("groupId", flag);
  }

  @Test
  void rollbackLowersTheRollout() {
    String flag = managedFlag(50);
    RolloutDecision d = send(decision(flag, Action.ROLLBACK, 50, 0));

    assertThat(awaitOutcome(d).getOutcome()).isEqualTo(OutcomeKind.APPLIED);
    assertThat(rollout(flag)).isZero();
  }

  @Test
  void killTurnsTheEnvironmentOff() {
    String flag = managedFlag(50);
    RolloutDecision d = send(decision(flag, Action.KILL, 50, 0));

    ApplyOutcome outcome = awaitOutcome(d);
    assertThat(outcome.getOutcome()).isEqualTo(OutcomeKind.APPLIED);
    assertThat(outcome.getReason()).contains("turned off");
    assertThat(environment(flag).enabled()).isFalse();
    assertThat(rollout(flag)).isEqualTo(50);
  }

  @Test
  void aDecisionDeliveredTwiceIsAppliedOnce() {
    String flag = managedFlag(10);
    RolloutDecision d = decision(flag, Action.INCREASE, 10, 25);
    send(d);
    send(d);

    await().atMost(EFFECT).untilAsserted(() -> assertThat(outcomesOf(d)).hasSize(2));
    List<ApplyOutcome> both = outcomesOf(d);
    assertThat(both.get(0).getOutcome()).isEqualTo(OutcomeKind.APPLIED);
    assertThat(both.get(1).getOutcome()).isEqualTo(OutcomeKind.SKIPPED);
    assertThat(both.get(1).getReason()).startsWith("skipped: already applied");
    assertThat(applierRolloutWrites(flag)).hasSize(1);
    assertThat(rollout(flag)).isEqualTo(25);
  }

  @Test
  void aHumanEditWithAnotherTokenIsRespected() {
    String flag = managedFlag(10);
    assertThat(awaitOutcome(send(decision(flag, Action.INCREASE, 10, 25))).getOutcome())
        .isEqualTo(OutcomeKind.APPLIED);
    String strategyId = environment(flag).flexibleRollout().orElseThrow().id();
    assertThat(human.setRollout(PROJECT, flag, ENV, strategyId, 40, null).isOk()).isTrue();

    RolloutDecision next = send(decision(flag, Action.INCREASE, 25, 50));

    ApplyOutcome outcome = awaitOutcome(next);
    assertThat(outcome.getOutcome()).isEqualTo(OutcomeKind.SKIPPED);
    assertThat(outcome.getReason()).startsWith("skipped: human override").contains(UnleashServer.HUMAN);
    assertThat(rollout(flag)).isEqualTo(40);

    // Re-tagging the flag rollguard:managed hands it back; the next decision starts from the human's 40%.
    assertThat(human.removeTag(flag, FlagTag.MANAGED).isOk()).isTrue();
    assertThat(human.addTag(flag, FlagTag.MANAGED).isOk()).isTrue();
    RolloutDecision afterHandBack = send(decision(flag, Action.INCREASE, 40, 60));
    assertThat(awaitOutcome(afterHandBack).getOutcome()).isEqualTo(OutcomeKind.APPLIED);
    assertThat(rollout(flag)).isEqualTo(60);
  }

  @Test
  void aPausedFlagIsLeftAlone() {
    String flag = managedFlag(10);
    assertThat(human.addTag(flag, FlagTag.PAUSED).isOk()).isTrue();

    ApplyOutcome outcome = awaitOutcome(send(decision(flag, Action.INCREASE, 10, 25)));

    assertThat(outcome.getOutcome()).isEqualTo(OutcomeKind.SKIPPED);
    assertThat(outcome.getReason()).isEqualTo("skipped: paused (tag rollguard:paused)");
    assertThat(rollout(flag)).isEqualTo(10);
  }

  @Test
  void decisionsWaitOutAnUnleashOutageAndAreEachAppliedOnce() {
    String flag = managedFlag(10);
    double readBefore = ConnectWorker.sinkRecordsRead("applier");
    unleash.stop();
    RolloutDecision first;
    RolloutDecision second;
    try {
      first = send(decision(flag, Action.INCREASE, 10, 25));
      second = send(decision(flag, Action.INCREASE, 25, 50));
      // The first decision reached the task while Unleash was down: the task retries it with backoff, and Connect
      // holds the partition (and so the second decision) until it succeeds.
      await().atMost(EFFECT).until(() -> ConnectWorker.sinkRecordsRead("applier") >= readBefore + 1);
      assertThat(outcomesOf(first)).isEmpty();
    } finally {
      unleash.restart();
    }

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(outcomesOf(second)).isNotEmpty());
    assertThat(outcomesOf(first)).extracting(ApplyOutcome::getOutcome).containsExactly(OutcomeKind.APPLIED);
    assertThat(outcomesOf(second)).extracting(ApplyOutcome::getOutcome).containsExactly(OutcomeKind.APPLIED);
    assertThat(applierRolloutWrites(flag)).extracting(e -> e.data().path("parameters").path("rollout").asText())
        .containsExactly("50", "25");
    assertThat(rollout(flag)).isEqualTo(50);
  }

  @Test
  void aBadTokenGivesAClearErrorAndADeadLetter() {
    String flag = managedFlag(10);
    RolloutDecision d = decision(flag, Action.INCREASE, 10, 25);
    producer.send(new ProducerRecord<>(BAD_TOKEN_DECISIONS, key(d), decisionSerde.serialize(BAD_TOKEN_DECISIONS, d)));
    producer.flush();

    ApplyOutcome outcome = awaitOutcome(d);
    assertThat(outcome.getOutcome()).isEqualTo(OutcomeKind.FAILED);
    assertThat(outcome.getReason()).contains("Unleash rejected the admin token (401 Unauthorized)")
        .contains("check unleash.token").doesNotContain(unleash.applierToken()).doesNotContain("not-a-token");
    assertThat(outcome.getHttpStatus()).isEqualTo(401);

    await().atMost(EFFECT).untilAsserted(() -> assertThat(badTokenDeadLetters.records()).isNotEmpty());
    ConsumerRecord<byte[], byte[]> dead = badTokenDeadLetters.records().get(0);
    assertThat(decisionSerde.deserialize(BAD_TOKEN_DECISIONS, dead.value()).getDecisionId())
        .isEqualTo(d.getDecisionId());
    assertThat(header(dead, "__connect.errors.exception.message")).contains("401");
    assertThat(rollout(flag)).isEqualTo(10);
  }

  @Test
  void anOutOfRangePercentIsDeadLettered() {
    String flag = managedFlag(10);
    RolloutDecision d = send(decision(flag, Action.INCREASE, 10, 150));

    ApplyOutcome outcome = awaitOutcome(d);
    assertThat(outcome.getOutcome()).isEqualTo(OutcomeKind.FAILED);
    assertThat(outcome.getReason()).isEqualTo("invalid decision: toPercent 150 is outside 0..100");
    await().atMost(EFFECT).untilAsserted(() -> assertThat(deadLetters.records())
        .anySatisfy(r -> assertThat(header(r, "__connect.errors.exception.message")).contains("toPercent 150")));
    assertThat(rollout(flag)).isEqualTo(10);
  }

  @Test
  void dryRunReportsAndChangesNothing() {
    String flag = managedFlag(10);
    RolloutDecision increase = decision(flag, Action.INCREASE, 10, 25);
    RolloutDecision kill = decision(flag, Action.KILL, 10, 0);
    for (RolloutDecision d : List.of(increase, kill)) {
      producer.send(new ProducerRecord<>(DRY_RUN_DECISIONS, key(d), decisionSerde.serialize(DRY_RUN_DECISIONS, d)));
    }
    producer.flush();

    assertThat(awaitOutcome(increase).getOutcome()).isEqualTo(OutcomeKind.DRY_RUN);
    assertThat(awaitOutcome(increase).getReason()).isEqualTo("dry run: would set rollout 10% -> 25%");
    assertThat(awaitOutcome(kill).getOutcome()).isEqualTo(OutcomeKind.DRY_RUN);
    assertThat(rollout(flag)).isEqualTo(10);
    assertThat(environment(flag).enabled()).isTrue();
    assertThat(applierRolloutWrites(flag)).isEmpty();
  }

  @Test
  void advisoryAndHoldChangeNothing() {
    String flag = managedFlag(10);
    RolloutDecision advisory = send(decision(flag, Action.INCREASE, 10, 25, Mode.ADVISORY));
    RolloutDecision hold = send(decision(flag, Action.HOLD, 10, 10));

    assertThat(awaitOutcome(advisory).getReason()).isEqualTo("skipped: advisory decision, changes nothing");
    assertThat(awaitOutcome(hold).getReason()).isEqualTo("skipped: hold changes nothing");
    assertThat(rollout(flag)).isEqualTo(10);
  }

  @Test
  void aStockWorkerLoadsThePackagedPluginAndAppliesADecision() throws Exception {
    String topic = "rollout.decisions.stock";
    kafka.createTopics(1, topic);
    Path dir = java.nio.file.Files.createDirectories(tmp.resolve("stock-worker"));
    try (StockWorker worker = StockWorker.start(kafka.bootstrapServers(), pluginZip(), dir)) {
      assertThat(worker.connectorClasses()).contains("dev.rollguard.connectors.sink.UnleashSinkConnector",
          "dev.rollguard.connectors.source.UnleashSourceConnector");
      worker.createConnector("applier-stock",
          applierConfig(topic, DLQ, "${file:" + tmp.resolve("unleash.properties") + ":applier}"));

      String flag = managedFlag(10);
      RolloutDecision d = decision(flag, Action.INCREASE, 10, 25);
      producer.send(new ProducerRecord<>(topic, key(d), decisionSerde.serialize(topic, d)));
      producer.flush();

      assertThat(awaitOutcome(d).getOutcome()).isEqualTo(OutcomeKind.APPLIED);
      assertThat(rollout(flag)).isEqualTo(25);
    }
  }

  /**
   * Scale-out: tasks.max=2 over a 4-partition decisions topic. Two flags per partition, three steps each (5% -> 10%
   * -> 25% -> a final percent of their own), sent interleaved so both tasks work at the same time, and one decision
   * delivered twice on each task. Every record must give exactly one outcome, every flag must end at its own last
   * percent after exactly three applier writes, and each task must have read exactly its partitions' records.
   */
  @Test
  void twoTasksSplitThePartitionsAndApplyEachFlagsStepsOnceAndInOrder() throws Exception {
    String topic = "rollout.decisions.scaled";
    String connector = "applier-scaled";
    int partitions = 4;
    kafka.createTopics(partitions, topic);
    Map<String, String> config = applierConfig(topic, DLQ, "${file:" + tmp.resolve("unleash.properties") + ":applier}");
    config.put("tasks.max", "2");
    connect.putConnector(connector, config);
    try (Admin admin = kafka.admin()) {
      // Connect really runs two tasks (its status, not the config), and each task's consumer owns some partitions.
      await("2 tasks running").atMost(EFFECT).untilAsserted(() -> {
        ConnectorStateInfo status = connect.status(connector);
        assertThat(status.tasks()).extracting(ConnectorStateInfo.TaskState::id).containsExactlyInAnyOrder(0, 1);
        assertThat(status.tasks()).extracting(ConnectorStateInfo.TaskState::state).containsOnly("RUNNING");
      });
      String group = "connect-" + connector;
      Map<Integer, Integer> taskOf = awaitAssignment(admin, group, connector, topic, partitions, 2);

      // Two flags per partition (the producer's default partitioner on the key <env>/<flag>).
      List<String> flags = new ArrayList<>();
      Map<Integer, Integer> flagsOn = new HashMap<>();
      for (int k = 1; flags.size() < 2 * partitions; k++) {
        String flag = "rg-scale-" + k;
        int p = partitionOf(flag, partitions);
        if (flagsOn.merge(p, 1, Integer::sum) <= 2) {
          flags.add(flag);
          setUpManagedFlag(flag, 5);
        }
      }
      Map<String, List<RolloutDecision>> steps = new LinkedHashMap<>();
      Map<String, Integer> finalPercent = new HashMap<>();
      for (int i = 0; i < flags.size(); i++) {
        String flag = flags.get(i);
        finalPercent.put(flag, 30 + 5 * i);
        steps.put(flag, List.of(decision(flag, Action.INCREASE, 5, 10), decision(flag, Action.INCREASE, 10, 25),
            decision(flag, Action.INCREASE, 25, finalPercent.get(flag))));
      }
      // One duplicated decision on each task: the first step of the first flag each task owns.
      Set<String> duplicated = Set.of(
          flags.stream().filter(f -> taskOf.get(partitionOf(f, partitions)) == 0).findFirst().orElseThrow(),
          flags.stream().filter(f -> taskOf.get(partitionOf(f, partitions)) == 1).findFirst().orElseThrow());

      Map<Integer, Integer> recordsOn = new TreeMap<>();
      for (int step = 0; step < 3; step++) {
        for (String flag : flags) {
          RolloutDecision d = steps.get(flag).get(step);
          int copies = step == 0 && duplicated.contains(flag) ? 2 : 1;
          for (int c = 0; c < copies; c++) {
            int p = producer.send(new ProducerRecord<>(topic, key(d), decisionSerde.serialize(topic, d))).get()
                .partition();
            assertThat(p).as("partition of %s", flag).isEqualTo(partitionOf(flag, partitions));
            recordsOn.merge(p, 1, Integer::sum);
          }
        }
      }
      int sent = recordsOn.values().stream().mapToInt(Integer::intValue).sum();
      assertThat(sent).isEqualTo(3 * flags.size() + duplicated.size());

      // Done when Connect has committed every record of every partition: nothing is left to (re)deliver.
      await().atMost(EFFECT).untilAsserted(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (int p = 0; p < partitions; p++) {
          OffsetAndMetadata offset = committed.get(new TopicPartition(topic, p));
          assertThat(offset).as("committed offset of partition %d", p).isNotNull();
          assertThat(offset.offset()).as("committed offset of partition %d", p)
              .isEqualTo(recordsOn.getOrDefault(p, 0).longValue());
        }
      });
      for (int task = 0; task < 2; task++) {
        int t = task;
        long own = recordsOn.entrySet().stream().filter(e -> taskOf.get(e.getKey()) == t)
            .mapToLong(Map.Entry::getValue).sum();
        assertThat(ConnectWorker.sinkRecordsRead(connector, task)).as("records read by task %d", task)
            .isEqualTo((double) own).isPositive();
      }

      // One outcome per record, each flag's in the order of its steps, the duplicate skipped by decision id.
      Callable<List<ApplyOutcome>> read = () -> outcomes.records().stream()
          .map(r -> outcomeSerde.deserialize(OUTCOMES, r.value()))
          .filter(o -> finalPercent.containsKey(o.getFlag())).toList();
      await("outcomes").atMost(EFFECT).until(read, o -> o.size() >= sent);
      List<ApplyOutcome> ours = read.call();
      assertThat(ours).hasSize(sent);
      for (String flag : flags) {
        List<RolloutDecision> s = steps.get(flag);
        List<ApplyOutcome> of = ours.stream().filter(o -> o.getFlag().equals(flag)).toList();
        List<String> expected = new ArrayList<>(List.of(
            s.get(0).getDecisionId() + " APPLIED 5->10",
            s.get(1).getDecisionId() + " APPLIED 10->25",
            s.get(2).getDecisionId() + " APPLIED 25->" + finalPercent.get(flag)));
        if (duplicated.contains(flag)) {
          expected.add(1, s.get(0).getDecisionId() + " SKIPPED 10->10");
        }
        assertThat(of).extracting(o -> o.getDecisionId() + " " + o.getOutcome() + " " + o.getFromPercent() + "->"
            + o.getToPercent()).as("outcomes of %s", flag).containsExactlyElementsOf(expected);

        // Unleash: the last decided percent, written exactly once per step (the duplicate wrote nothing).
        assertThat(rollout(flag)).as("rollout of %s", flag).isEqualTo(finalPercent.get(flag));
        List<UnleashEvent> writes = applierRolloutWrites(flag);
        assertThat(writes).extracting(e -> e.data().path("parameters").path("rollout").asText())
            .as("applier writes of %s, newest first", flag)
            .containsExactly(Integer.toString(finalPercent.get(flag)), "25", "10");
        if (duplicated.contains(flag)) {
          // Recognized by its decision id in the event log (the title of the first write), not only by the value.
          assertThat(of.get(1).getReason()).as("reason for the duplicate of %s", flag)
              .isEqualTo("skipped: already applied (event " + writes.get(2).id() + ")");
        }
      }
      assertThat(connect.status(connector).tasks()).extracting(ConnectorStateInfo.TaskState::state)
          .containsExactly("RUNNING", "RUNNING");
      // Each task's outcomes producer has a client.id of its own, so neither hides the other's metrics.
      for (int task = 0; task < 2; task++) {
        assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(new ObjectName(
            "kafka.producer:type=producer-metrics,client-id=rollguard-applier-" + connector + "-" + task)))
            .as("outcomes producer metrics of task %d", task).isTrue();
      }
    } finally {
      connect.deleteConnector(connector);
    }
  }

  // --- helpers ---

  /** The partition the producer's default partitioner picks for a decision about the flag in ENV. */
  static int partitionOf(String flag, int partitions) {
    return Utils.toPositive(Utils.murmur2((ENV + "/" + flag).getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /**
   * Waits until the sink's consumer group is stable with every partition of the topic assigned and every one of
   * the tasks owning some, and returns which task owns each partition (Connect names a sink task's consumer
   * connector-consumer-{connector}-{task}).
   */
  static Map<Integer, Integer> awaitAssignment(Admin admin, String group, String connector, String topic,
      int partitions, int tasks) {
    Map<Integer, Integer> taskOf = new HashMap<>();
    await("partitions of " + topic + " assigned").atMost(EFFECT).untilAsserted(() -> {
      taskOf.clear();
      ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
      for (MemberDescription member : description.members()) {
        String prefix = "connector-consumer-" + connector + "-";
        assertThat(member.clientId()).startsWith(prefix);
        int task = Integer.parseInt(member.clientId().substring(prefix.length()));
        for (TopicPartition tp : member.assignment().topicPartitions()) {
          if (tp.topic().equals(topic)) {
            assertThat(taskOf.put(tp.partition(), task)).as("owner of %s", tp).isNull();
          }
        }
      }
      assertThat(taskOf).hasSize(partitions);
      assertThat(Set.copyOf(taskOf.values())).hasSize(tasks);
    });
    return taskOf;
  }

  static Path pluginZip() {
    return Path.of(System.getProperty("rollguard.plugin.zip",
        "target/rollguard-connectors-0.1.0-SNAPSHOT-plugin.zip")).toAbsolutePath();
  }

  /** A flag set up by the human: flexibleRollout at the given percent, on in development, tagged managed. */
  static String managedFlag(int percent) {
    String flag = "rg-sink-" + FLAGS.incrementAndGet();
    setUpManagedFlag(flag, percent);
    return flag;
  }

  static void setUpManagedFlag(String flag, int percent) {
    assertThat(human.createFlag(PROJECT, flag).isOk()).isTrue();
    assertThat(human.addFlexibleRollout(PROJECT, flag, ENV, percent).isOk()).isTrue();
    assertThat(human.setEnvironmentEnabled(PROJECT, flag, ENV, true).isOk()).isTrue();
    assertThat(human.addTag(flag, FlagTag.MANAGED).isOk()).isTrue();
  }

  static RolloutDecision send(RolloutDecision d) {
    producer.send(new ProducerRecord<>(DECISIONS, key(d), decisionSerde.serialize(DECISIONS, d)));
    producer.flush();
    return d;
  }

  static byte[] key(RolloutDecision d) {
    return (d.getEnvironment() + "/" + d.getFlag()).getBytes(StandardCharsets.UTF_8);
  }

  static ApplyOutcome awaitOutcome(RolloutDecision d) {
    await().atMost(EFFECT).untilAsserted(() -> assertThat(outcomesOf(d)).isNotEmpty());
    return outcomesOf(d).get(0);
  }

  static List<ApplyOutcome> outcomesOf(RolloutDecision d) {
    return outcomes.records().stream()
        .map(r -> outcomeSerde.deserialize(OUTCOMES, r.value()))
        .filter(o -> o.getDecisionId().equals(d.getDecisionId()))
        .toList();
  }

  static FeatureEnvironment environment(String flag) {
    return human.getFlag(PROJECT, flag).value().environment(ENV).orElseThrow();
  }

  static Integer rollout(String flag) {
    return environment(flag).flexibleRollout().orElseThrow().rolloutPercent();
  }

  /** The applier's rollout changes in the event log, newest first. */
  static List<UnleashEvent> applierRolloutWrites(String flag) {
    return human.searchEvents(flag, null, 0, 100).value().stream()
        .filter(e -> UnleashServer.APPLIER.equals(e.createdBy()) && UnleashEvent.STRATEGY_UPDATE.equals(e.type()))
        .toList();
  }

  static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
