package dev.rollguard.streams.decisions;

import dev.rollguard.streams.config.EnvironmentOverrides;
import dev.rollguard.streams.config.PropertiesFiles;
import dev.rollguard.streams.config.Durations;
import dev.rollguard.streams.config.StreamsAppConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The decision stage's configuration, in the style of {@link StreamsAppConfig}: defaults, then a properties file,
 * then {@code ROLLGUARD_*} environment variables ({@code decisions.advisor.call-timeout} is
 * {@code ROLLGUARD_DECISIONS_ADVISOR_CALL_TIMEOUT}).
 *
 * <p>Keys shared with the windows stage (bootstrap.servers, schema.registry.url, topic.window-stats, topic.dlq,
 * state.dir, kafka.*) have the same names and variables, so one file configures both; the windows stage's own keys
 * are accepted and ignored here. Keys only this stage reads start with {@code decisions.}, and
 * {@code decisions.kafka.*} passes Kafka properties to this stage alone, after {@code kafka.*}. The LocalAI advisor
 * is configured by {@code AdvisorConfig.fromEnv} ({@code LOCALAI_*}, {@code ROLLGUARD_ADVISOR_ENABLED}).
 *
 * <p>The stream thread waits for the advisor inside the processor, so {@link #streamsProperties()} bounds that wait
 * against {@code max.poll.interval.ms} (see {@link AdvisorWaitBudget}): the call timeout must not exceed
 * {@code max.poll.interval.ms / 8}, and the producer's {@code transaction.timeout.ms} is raised to
 * {@code commit.interval.ms + max.poll.interval.ms / 2 + 30 s} so that a transaction held open by slow advice is
 * never aborted by the broker (the broker's {@code transaction.max.timeout.ms}, 15 min by default, must allow it).
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param applicationId this stage's Kafka Streams application id, distinct from the windows stage's
 * @param schemaRegistryUrl Schema Registry base URL
 * @param windowStatsTopic input: FlagWindowStats keyed "&lt;environment&gt;/&lt;flag&gt;"
 * @param flagStateTopic input: compacted FlagState keyed "&lt;environment&gt;/&lt;flag&gt;"
 * @param decisionsTopic output: RolloutDecision keyed "&lt;environment&gt;/&lt;flag&gt;"
 * @param deadLetterTopic undecodable window stats go here as DeadLetter
 * @param policyFile the judge's RolloutPolicy JSON; blank for the defaults
 * @param advisorCallTimeout how long one decision waits for the advisor before the rules decide
 * @param stateDir Kafka Streams state directory; blank for Kafka's default
 * @param kafka Kafka properties shared with the windows stage ({@code kafka.*})
 * @param decisionsKafka Kafka properties for this stage only ({@code decisions.kafka.*}), applied last
 */
public record DecisionStageConfig(
    String bootstrapServers,
    String applicationId,
    String schemaRegistryUrl,
    String windowStatsTopic,
    String flagStateTopic,
    String decisionsTopic,
    String deadLetterTopic,
    String policyFile,
    Duration advisorCallTimeout,
    String stateDir,
    Map<String, String> kafka,
    Map<String, String> decisionsKafka) {

  public static final String KAFKA_PREFIX = StreamsAppConfig.KAFKA_PREFIX;
  public static final String DECISIONS_KAFKA_PREFIX = "decisions.kafka.";

  public static final String BOOTSTRAP_SERVERS = StreamsAppConfig.BOOTSTRAP_SERVERS;
  public static final String SCHEMA_REGISTRY_URL = StreamsAppConfig.SCHEMA_REGISTRY_URL;
  public static final String TOPIC_WINDOW_STATS = StreamsAppConfig.TOPIC_WINDOW_STATS;
  public static final String TOPIC_DLQ = StreamsAppConfig.TOPIC_DLQ;
  public static final String STATE_DIR = StreamsAppConfig.STATE_DIR;
  public static final String TOPIC_FLAG_STATE = "topic.flag-state";
  public static final String TOPIC_DECISIONS = "topic.decisions";
  public static final String APPLICATION_ID = "decisions.application.id";
  public static final String POLICY_FILE = "decisions.policy.file";
  public static final String ADVISOR_CALL_TIMEOUT = "decisions.advisor.call-timeout";

  /** Extra time the producer transaction may stay open beyond one poll interval and one commit interval. */
  static final Duration TRANSACTION_MARGIN = Duration.ofSeconds(30);
  /** The Kafka consumer's default {@code max.poll.interval.ms}. */
  static final long DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

  /** Every key with its default, in documentation order. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put(BOOTSTRAP_SERVERS, StreamsAppConfig.DEFAULTS.get(BOOTSTRAP_SERVERS));
    d.put(APPLICATION_ID, "rollguard-decisions");
    d.put(SCHEMA_REGISTRY_URL, StreamsAppConfig.DEFAULTS.get(SCHEMA_REGISTRY_URL));
    d.put(TOPIC_WINDOW_STATS, StreamsAppConfig.DEFAULTS.get(TOPIC_WINDOW_STATS));
    d.put(TOPIC_FLAG_STATE, "rollout.flag-state");
    d.put(TOPIC_DECISIONS, "rollout.decisions");
    d.put(TOPIC_DLQ, StreamsAppConfig.DEFAULTS.get(TOPIC_DLQ));
    d.put(POLICY_FILE, "");
    d.put(ADVISOR_CALL_TIMEOUT, "PT30S");
    d.put(STATE_DIR, "");
    return Collections.unmodifiableMap(d);
  }

  public DecisionStageConfig {
    bootstrapServers = requireText(BOOTSTRAP_SERVERS, bootstrapServers);
    applicationId = requireText(APPLICATION_ID, applicationId);
    schemaRegistryUrl = requireText(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
    windowStatsTopic = requireText(TOPIC_WINDOW_STATS, windowStatsTopic);
    flagStateTopic = requireText(TOPIC_FLAG_STATE, flagStateTopic);
    decisionsTopic = requireText(TOPIC_DECISIONS, decisionsTopic);
    deadLetterTopic = requireText(TOPIC_DLQ, deadLetterTopic);
    if (Set.of(windowStatsTopic, flagStateTopic, decisionsTopic, deadLetterTopic).size() != 4) {
      throw new IllegalArgumentException("the four topics must be distinct: " + windowStatsTopic + ", "
          + flagStateTopic + ", " + decisionsTopic + ", " + deadLetterTopic);
    }
    policyFile = policyFile == null ? "" : policyFile.trim();
    if (advisorCallTimeout == null || advisorCallTimeout.isZero() || advisorCallTimeout.isNegative()) {
      throw new IllegalArgumentException(ADVISOR_CALL_TIMEOUT + " must be > 0, got " + advisorCallTimeout);
    }
    stateDir = stateDir == null ? "" : stateDir.trim();
    kafka = Map.copyOf(kafka == null ? Map.of() : kafka);
    decisionsKafka = Map.copyOf(decisionsKafka == null ? Map.of() : decisionsKafka);
    // Fail at load time, not when the stage starts: the wait bound must fit the poll interval.
    withWaitBound(baseProperties(applicationId, bootstrapServers, stateDir, kafka, decisionsKafka),
        advisorCallTimeout);
  }

  public static DecisionStageConfig defaults(String bootstrapServers) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(BOOTSTRAP_SERVERS, bootstrapServers);
    return fromMap(values);
  }

  /** Reads the file (if given), then applies environment overrides. */
  public static DecisionStageConfig load(Path propertiesFile, Map<String, String> environment) {
    Map<String, String> values = new LinkedHashMap<>(PropertiesFiles.read(propertiesFile));
    values.putAll(fromEnvironment(environment));
    return fromMap(values);
  }

  /** Missing keys take their defaults; the windows stage's keys are ignored; other unknown keys are refused. */
  public static DecisionStageConfig fromMap(Map<String, String> values) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> kafka = new TreeMap<>();
    Map<String, String> decisionsKafka = new TreeMap<>();
    values.forEach((key, value) -> {
      if (key.startsWith(DECISIONS_KAFKA_PREFIX)) {
        decisionsKafka.put(key.substring(DECISIONS_KAFKA_PREFIX.length()), value);
      } else if (key.startsWith(KAFKA_PREFIX)) {
        kafka.put(key.substring(KAFKA_PREFIX.length()), value);
      } else if (DEFAULTS.containsKey(key)) {
        v.put(key, value);
      } else if (!StreamsAppConfig.DEFAULTS.containsKey(key)) {
        throw new IllegalArgumentException("unknown configuration key '" + key + "'; known keys: "
            + DEFAULTS.keySet() + ", kafka.*, decisions.kafka.* and the windows stage's keys");
      }
    });
    return new DecisionStageConfig(v.get(BOOTSTRAP_SERVERS), v.get(APPLICATION_ID), v.get(SCHEMA_REGISTRY_URL),
        v.get(TOPIC_WINDOW_STATS), v.get(TOPIC_FLAG_STATE), v.get(TOPIC_DECISIONS), v.get(TOPIC_DLQ),
        v.get(POLICY_FILE), Durations.parse(ADVISOR_CALL_TIMEOUT, v.get(ADVISOR_CALL_TIMEOUT)), v.get(STATE_DIR),
        kafka, decisionsKafka);
  }

  /** The environment variable of a key: {@code ROLLGUARD_} + upper case, {@code .} and {@code -} as {@code _}. */
  public static String environmentVariable(String key) {
    return StreamsAppConfig.environmentVariable(key);
  }

  static Map<String, String> fromEnvironment(Map<String, String> environment) {
    return EnvironmentOverrides.read(environment, DEFAULTS.keySet(), List.of(DECISIONS_KAFKA_PREFIX, KAFKA_PREFIX));
  }

  /** Effective {@code max.poll.interval.ms} of the stage's main consumer. */
  public Duration maxPollInterval() {
    return maxPollInterval(new StreamsConfig(streamsProperties()));
  }

  private static Duration maxPollInterval(StreamsConfig sc) {
    Object v = sc.getMainConsumerConfigs("g", "c", 0).get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    // Absent means the consumer's own default.
    return Duration.ofMillis(v == null ? DEFAULT_MAX_POLL_INTERVAL_MS : Long.parseLong(String.valueOf(v).trim()));
  }

  /** The stream thread's advisor wait budget: {@code max.poll.interval.ms / 8}. */
  public Duration advisorWaitBudget() {
    return maxPollInterval().dividedBy(8);
  }

  /**
   * Kafka Streams properties: exactly-once v2, the dead-letter deserialization handler (added by
   * {@link DecisionTopology#streamsProperties}), state directory, {@code kafka.*} then {@code decisions.kafka.*}, and
   * the producer transaction timeout derived from the poll interval. Validates the wait bound.
   */
  public Properties streamsProperties() {
    return withWaitBound(baseProperties(applicationId, bootstrapServers, stateDir, kafka, decisionsKafka),
        advisorCallTimeout);
  }

  private static Properties withWaitBound(Properties p, Duration advisorCallTimeout) {
    Properties probe = new Properties();
    probe.putAll(p);
    // StreamsConfig refuses a commit interval above the (not yet derived) transaction timeout: probe without it.
    probe.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
        Integer.toString(Integer.MAX_VALUE));
    StreamsConfig sc = new StreamsConfig(probe);
    Duration maxPoll = maxPollInterval(sc);
    Duration budget = maxPoll.dividedBy(8);
    if (advisorCallTimeout.compareTo(budget) > 0) {
      throw new IllegalArgumentException(ADVISOR_CALL_TIMEOUT + " (" + advisorCallTimeout + ") must be at most "
          + "max.poll.interval.ms / 8 (" + budget + ") so that waiting for the advisor can never make the stage "
          + "miss a poll; raise kafka.max.poll.interval.ms or lower the call timeout");
    }
    Duration commit = Duration.ofMillis(sc.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    // A transaction spans at most one commit interval plus one processing pass (<= 2 x budget = max.poll/4); /2 is margin.
    Duration needed = commit.plus(maxPoll.dividedBy(2)).plus(TRANSACTION_MARGIN);
    String userTxn = firstNonNull(p.getProperty(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)),
        p.getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
    if (userTxn == null) {
      p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), Long.toString(needed.toMillis()));
    } else if (Long.parseLong(userTxn.trim()) < needed.toMillis()) {
      throw new IllegalArgumentException("transaction.timeout.ms (" + userTxn + ") must be at least "
          + "commit.interval.ms + max.poll.interval.ms / 2 + 30 s (" + needed.toMillis() + " ms): a transaction kept open "
          + "while the stage waits for the advisor must not be aborted by the broker");
    }
    return p;
  }

  private static Properties baseProperties(String applicationId, String bootstrapServers, String stateDir,
                                           Map<String, String> kafka, Map<String, String> decisionsKafka) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // Kafka 5's default, set now: the flag-state store's processor handles its own bad records.
    p.put("processing.exception.handler.global.enabled", "true");
    if (!stateDir.isEmpty()) {
      p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    }
    p.putAll(kafka);
    p.putAll(decisionsKafka);
    return p;
  }

  public DecisionStageConfig withBootstrapServers(String servers) {
    return new DecisionStageConfig(servers, applicationId, schemaRegistryUrl, windowStatsTopic, flagStateTopic,
        decisionsTopic, deadLetterTopic, policyFile, advisorCallTimeout, stateDir, kafka, decisionsKafka);
  }

  public DecisionStageConfig withApplicationId(String id) {
    return new DecisionStageConfig(bootstrapServers, id, schemaRegistryUrl, windowStatsTopic, flagStateTopic,
        decisionsTopic, deadLetterTopic, policyFile, advisorCallTimeout, stateDir, kafka, decisionsKafka);
  }

  public DecisionStageConfig withStateDir(String dir) {
    return new DecisionStageConfig(bootstrapServers, applicationId, schemaRegistryUrl, windowStatsTopic,
        flagStateTopic, decisionsTopic, deadLetterTopic, policyFile, advisorCallTimeout, dir, kafka, decisionsKafka);
  }

  public DecisionStageConfig withAdvisorCallTimeout(Duration timeout) {
    return new DecisionStageConfig(bootstrapServers, applicationId, schemaRegistryUrl, windowStatsTopic,
        flagStateTopic, decisionsTopic, deadLetterTopic, policyFile, timeout, stateDir, kafka, decisionsKafka);
  }

  public DecisionStageConfig withDecisionsKafka(Map<String, String> extra) {
    Map<String, String> merged = new TreeMap<>(decisionsKafka);
    merged.putAll(extra);
    return new DecisionStageConfig(bootstrapServers, applicationId, schemaRegistryUrl, windowStatsTopic,
        flagStateTopic, decisionsTopic, deadLetterTopic, policyFile, advisorCallTimeout, stateDir, kafka, merged);
  }

  private static String firstNonNull(String a, String b) {
    return a != null ? a : b;
  }

  private static String requireText(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " must not be blank");
    }
    return value.trim();
  }
}
