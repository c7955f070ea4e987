package dev.rollguard.connectors.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollguard.avro.FlagState;
import dev.rollguard.connectors.unleash.FlagTag;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.dev.EmbeddedKafka;
import dev.rollguard.dev.EmbeddedSchemaRegistry;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flag-state source against a real Unleash: a first snapshot, then changes by the applier's token and a human's,
 * and a restart of the Connect worker that resumes from the stored event id instead of publishing everything again.
 */
class UnleashSourceConnectorIT {
  private static final String PROJECT = "default";
  private static final String ENV = "development";
  private static final String TOPIC = "rollout.flag-state";
  private static final Duration EFFECT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static EmbeddedKafka kafka;
  static EmbeddedSchemaRegistry registry;
  static UnleashServer unleash;
  static UnleashAdminClient human;
  static UnleashAdminClient applier;
  static AvroSerde<FlagState> serde;
  static Path secrets;

  @BeforeAll
  static void startEverything() throws Exception {
    kafka = EmbeddedKafka.start();
    kafka.createTopics(1, Map.of("cleanup.policy", "compact"), TOPIC);
    registry = EmbeddedSchemaRegistry.start();
    unleash = UnleashServer.start();
    human = new UnleashAdminClient(new okhttp3.OkHttpClient(), unleash.url(),
        unleash.humanToken());
    applier = new UnleashAdminClient(new okhttp3.OkHttpClient(), unleash.url(),
        unleash.applierToken());
    assertThat(human.ensureTagType(FlagTag.TYPE, "Rollguard automation").isOk()).isTrue();
    serde = new AvroSerde<>(FlagState.class, SchemaRegistryClients.fromConfig(registry.clientConfig()), false, false);
    secrets = tmp.resolve("unleash.properties");
    Files.writeString(secrets, "token=" + unleash.applierToken() + "\n");
  }

  @AfterAll
  static void stopEverything() {
    for (AutoCloseable c : new AutoCloseable[] {unleash, registry, kafka}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("cannot close " + c + ": " + e);
      }
    }
  }

  static Map<String, String> sourceConfig() {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", "dev.rollguard.connectors.source.UnleashSourceConnector");
    config.put("tasks.max", "1");
    config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    config.put("unleash.url", unleash.url());
    config.put("unleash.token", "${file:" + secrets + ":token}");
    config.put("unleash.projects", PROJECT);
    config.put("unleash.environments", ENV);
    config.put("schema.registry.url", registry.url());
    config.put("flag.state.topic", TOPIC);
    config.put("poll.interval.ms", "300");
    return config;
  }

  @Test
  void publishesFlagStateAndItsChangesAndResumesFromItsOffsetAfterARestart() {
    String managed = flag("rg-src-managed", 10, FlagTag.MANAGED);
    String paused = flag("rg-src-paused", 20, FlagTag.MANAGED);
    assertThat(human.addTag(paused, FlagTag.PAUSED).isOk()).isTrue();

    Path offsets = tmp.resolve("connect.offsets");
    try (TopicReader states = new TopicReader(kafka.bootstrapServers(), TOPIC)) {
      try (ConnectWorker connect = ConnectWorker.start(kafka.bootstrapServers(), offsets)) {
        connect.putConnector("flag-state", sourceConfig());

        // The first poll publishes every flag.
        FlagState first = awaitState(states, managed, s -> true);
        assertThat(first.getEnabled()).isTrue();
        assertThat(first.getRolloutPercent()).isEqualTo(10);
        assertThat(first.getStrategyId()).isNotNull();
        assertThat(first.getManaged()).isTrue();
        assertThat(first.getPaused()).isFalse();
        assertThat(first.getProject()).isEqualTo(PROJECT);
        assertThat(first.getLastChangedBy()).isEqualTo(UnleashServer.HUMAN);
        assertThat(first.getLastEventId()).isNotNull();
        FlagState pausedState = awaitState(states, paused, s -> true);
        assertThat(pausedState.getPaused()).isTrue();
        assertThat(pausedState.getRolloutPercent()).isEqualTo(20);

        // A change by the applier's token, then one by a human: each is published, with who made it.
        String strategyId = first.getStrategyId();
        assertThat(applier.setRollout(PROJECT, managed, ENV, strategyId, 25, null).isOk()).isTrue();
        FlagState byApplier = awaitState(states, managed, s -> Integer.valueOf(25).equals(s.getRolloutPercent()));
        assertThat(byApplier.getLastChangedBy()).isEqualTo(UnleashServer.APPLIER);

        assertThat(human.setRollout(PROJECT, managed, ENV, strategyId, 40, null).isOk()).isTrue();
        FlagState byHuman = awaitState(states, managed, s -> Integer.valueOf(40).equals(s.getRolloutPercent()));
        assertThat(byHuman.getLastChangedBy()).isEqualTo(UnleashServer.HUMAN);
        assertThat(byHuman.getLastChangedAt()).isAfterOrEqualTo(byApplier.getLastChangedAt());
        assertThat(byHuman.getLastEventId()).isGreaterThan(byApplier.getLastEventId());

        assertThat(human.setEnvironmentEnabled(PROJECT, paused, ENV, false).isOk()).isTrue();
        awaitState(states, paused, s -> !s.getEnabled());
      }

      // The worker is gone (it committed the source offset on stop). Changes made meanwhile are picked up.
      int before = states.records().size();
      String strategyId = human.getFlag(PROJECT, paused).value().environment(ENV).orElseThrow()
          .flexibleRollout().orElseThrow().id();
      assertThat(human.setRollout(PROJECT, paused, ENV, strategyId, 30, null).isOk()).isTrue();

      try (ConnectWorker connect = ConnectWorker.start(kafka.bootstrapServers(), offsets)) {
        connect.putConnector("flag-state", sourceConfig());
        awaitState(states, paused, s -> Integer.valueOf(30).equals(s.getRolloutPercent()));
        // Only the changed flag was published again, not every flag.
        List<String> republished = states.records().subList(before, states.records().size()).stream()
            .map(r -> new String(r.key(), StandardCharsets.UTF_8)).distinct().toList();
        assertThat(republished).containsExactly(ENV + "/" + paused);
      }
    }
  }

  @Test
  void anArchivedFlagGetsATombstone() {
    String gone = flag("rg-src-archived", 10, FlagTag.MANAGED);
    try (TopicReader states = new TopicReader(kafka.bootstrapServers(), TOPIC);
        ConnectWorker connect = ConnectWorker.start(kafka.bootstrapServers(), tmp.resolve("archive.offsets"))) {
      connect.putConnector("flag-state-archive", sourceConfig());
      awaitState(states, gone, s -> true);

      assertThat(human.archiveFlag(PROJECT, gone).isOk()).isTrue();

      await().atMost(EFFECT).untilAsserted(() -> assertThat(states.records())
          .anySatisfy(r -> {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(ENV + "/" + gone);
            assertThat(r.value()).isNull();
          }));
    }
  }

  // --- helpers ---

  static String flag(String name, int percent, FlagTag tag) {
    assertThat(human.createFlag(PROJECT, name).isOk()).isTrue();
    assertThat(human.addFlexibleRollout(PROJECT, name, ENV, percent).isOk()).isTrue();
    assertThat(human.setEnvironmentEnabled(PROJECT, name, ENV, true).isOk()).isTrue();
    assertThat(human.addTag(name, tag).isOk()).isTrue();
    return name;
  }

  /** Waits for a published state of the flag that matches, and returns the latest such state. */
  static FlagState awaitState(TopicReader states, String flag, java.util.function.Predicate<FlagState> matches) {
    String key = ENV + "/" + flag;
    return await().atMost(EFFECT).until(() -> latest(states.records(), key, matches), s -> s != null);
  }

  private static FlagState latest(List<ConsumerRecord<byte[], byte[]>> records, String key,
      java.util.function.Predicate<FlagState> matches) {
    FlagState found = null;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (r.value() != null && key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
        FlagState state = serde.deserialize(TOPIC, r.value());
        if (matches.test(state)) {
          found = state;
        }
      }
    }
    return found;
  }
}
