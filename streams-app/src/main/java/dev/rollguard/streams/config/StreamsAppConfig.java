package dev.rollguard.streams.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.HashSet;
import java.util.List;
import java.util.TreeMap;

/**
 * The streams application's configuration: every key, its environment variable and its default live here.
 *
 * <p>Sources, later ones winning: the defaults below, a properties file, then environment variables. A key maps to
 * its variable by upper-casing it, replacing {@code .} and {@code -} with {@code _} and prefixing {@code ROLLGUARD_}:
 * {@code window.size} is {@code ROLLGUARD_WINDOW_SIZE}. Keys under {@code kafka.} are passed to Kafka Streams with
 * the prefix removed ({@code kafka.num.stream.threads=2}, or {@code ROLLGUARD_KAFKA_NUM_STREAM_THREADS=2}); Kafka's
 * own keys contain only dots, so that mapping is unambiguous.
 *
 * <p>Durations accept ISO-8601 ({@code PT1M}) or a number with a unit: {@code 500ms}, {@code 30s}, {@code 1m},
 * {@code 2h}.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param applicationId Kafka Streams application id (consumer group, prefix of internal topics)
 * @param schemaRegistryUrl Schema Registry base URL (Confluent REST API)
 * @param impressionsTopic input topic of {@code FlagImpression}
 * @param requestMetricsTopic input topic of {@code RequestMetric}
 * @param windowStatsTopic output topic of {@code FlagWindowStats}
 * @param deadLetterTopic output topic of {@code DeadLetter}
 * @param windowSize tumbling window size
 * @param windowGrace how long after its end a window still accepts records
 * @param closeCheckInterval how often the wall clock checks for windows to close
 * @param maxFutureSkew how far in the future (against the wall clock) an event timestamp may be
 * @param stateDir Kafka Streams state directory; blank for Kafka's default
 * @param kafka extra Kafka Streams/client properties (from {@code kafka.*} keys), applied last
 */
public record StreamsAppConfig(
    String bootstrapServers,
    String applicationId,
    String schemaRegistryUrl,
    String impressionsTopic,
    String requestMetricsTopic,
    String windowStatsTopic,
    String deadLetterTopic,
    Duration windowSize,
    Duration windowGrace,
    Duration closeCheckInterval,
    Duration maxFutureSkew,
    String stateDir,
    Map<String, String> kafka) {

  public static final String ENV_PREFIX = EnvironmentOverrides.ENV_PREFIX;
  public static final String KAFKA_PREFIX = "kafka.";

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String APPLICATION_ID = "application.id";
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String TOPIC_IMPRESSIONS = "topic.impressions";
  public static final String TOPIC_REQUEST_METRICS = "topic.request-metrics";
  public static final String TOPIC_WINDOW_STATS = "topic.window-stats";
  public static final String TOPIC_DLQ = "topic.dlq";
  public static final String WINDOW_SIZE = "window.size";
  public static final String WINDOW_GRACE = "window.grace";
  public static final String WINDOW_CLOSE_CHECK_INTERVAL = "window.close-check-interval";
  public static final String VALIDATION_MAX_FUTURE_SKEW = "validation.max-future-skew";
  public static final String STATE_DIR = "state.dir";

  /** Every known key with its default, in documentation order; the single place defaults are written down. */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put(BOOTSTRAP_SERVERS, "localhost:9092");
    d.put(APPLICATION_ID, "rollguard-windows");
    d.put(SCHEMA_REGISTRY_URL, "http://localhost:8081");
    d.put(TOPIC_IMPRESSIONS, "flag.impressions");
    d.put(TOPIC_REQUEST_METRICS, "flag.request-metrics");
    d.put(TOPIC_WINDOW_STATS, "rollout.window-stats");
    d.put(TOPIC_DLQ, "rollout.dlq");
    d.put(WINDOW_SIZE, "PT1M");
    d.put(WINDOW_GRACE, "PT30S");
    d.put(WINDOW_CLOSE_CHECK_INTERVAL, "PT1S");
    d.put(VALIDATION_MAX_FUTURE_SKEW, "PT5M");
    d.put(STATE_DIR, "");
    return java.util.Collections.unmodifiableMap(d);
  }

  public StreamsAppConfig {
    bootstrapServers = requireText(BOOTSTRAP_SERVERS, bootstrapServers);
    applicationId = requireText(APPLICATION_ID, applicationId);
    schemaRegistryUrl = requireText(SCHEMA_REGISTRY_URL, schemaRegistryUrl);
    impressionsTopic = requireText(TOPIC_IMPRESSIONS, impressionsTopic);
    requestMetricsTopic = requireText(TOPIC_REQUEST_METRICS, requestMetricsTopic);
    windowStatsTopic = requireText(TOPIC_WINDOW_STATS, windowStatsTopic);
    deadLetterTopic = requireText(TOPIC_DLQ, deadLetterTopic);
    if (new HashSet<>(List.of(impressionsTopic, requestMetricsTopic, windowStatsTopic, deadLetterTopic)).size() != 4) {
      throw new IllegalArgumentException("the four topics must be distinct: " + impressionsTopic + ", "
          + requestMetricsTopic + ", " + windowStatsTopic + ", " + deadLetterTopic);
    }
    requirePositive(WINDOW_SIZE, windowSize);
    if (windowGrace == null || windowGrace.isNegative()) {
      throw new IllegalArgumentException(WINDOW_GRACE + " must be >= 0, got " + windowGrace);
    }
    requirePositive(WINDOW_CLOSE_CHECK_INTERVAL, closeCheckInterval);
    requirePositive(VALIDATION_MAX_FUTURE_SKEW, maxFutureSkew);
    // Window starts are aligned to the epoch in whole milliseconds.
    if (windowSize.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException(WINDOW_SIZE + " must be a whole number of milliseconds, got " + windowSize);
    }
    stateDir = stateDir == null ? "" : stateDir.trim();
    kafka = Map.copyOf(kafka == null ? Map.of() : kafka);
  }

  /** The defaults alone: a broker on localhost:9092 and a registry on localhost:8081. */
  public static StreamsAppConfig defaults(String bootstrapServers) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    values.put(BOOTSTRAP_SERVERS, bootstrapServers);
    return fromMap(values);
  }

  /** Reads the file (if given), then applies environment overrides. */
  public static StreamsAppConfig load(Path propertiesFile, Map<String, String> environment) {
    Map<String, String> values = new LinkedHashMap<>(PropertiesFiles.read(propertiesFile));
    values.putAll(fromEnvironment(environment));
    return fromMap(values);
  }

  /** Builds the configuration from key/value pairs; missing keys take their defaults, unknown keys are refused. */
  public static StreamsAppConfig fromMap(Map<String, String> values) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> kafka = new TreeMap<>();
    values.forEach((key, value) -> {
      if (key.startsWith(KAFKA_PREFIX)) {
        kafka.put(key.substring(KAFKA_PREFIX.length()), value);
      } else if (DEFAULTS.containsKey(key)) {
        v.put(key, value);
      } else {
        // A typo must not silently fall back to a default.
        throw new IllegalArgumentException("unknown configuration key '" + key + "'; known keys: "
            + DEFAULTS.keySet() + " and kafka.*");
      }
    });
    return new StreamsAppConfig(v.get(BOOTSTRAP_SERVERS), v.get(APPLICATION_ID), v.get(SCHEMA_REGISTRY_URL),
        v.get(TOPIC_IMPRESSIONS), v.get(TOPIC_REQUEST_METRICS), v.get(TOPIC_WINDOW_STATS), v.get(TOPIC_DLQ),
        Durations.parse(WINDOW_SIZE, v.get(WINDOW_SIZE)), Durations.parse(WINDOW_GRACE, v.get(WINDOW_GRACE)),
        Durations.parse(WINDOW_CLOSE_CHECK_INTERVAL, v.get(WINDOW_CLOSE_CHECK_INTERVAL)),
        Durations.parse(VALIDATION_MAX_FUTURE_SKEW, v.get(VALIDATION_MAX_FUTURE_SKEW)), v.get(STATE_DIR), kafka);
  }

  /** The environment variable that overrides a key, e.g. {@code ROLLGUARD_TOPIC_REQUEST_METRICS}. */
  public static String environmentVariable(String key) {
    return EnvironmentOverrides.variable(key);
  }

  /** The keys set by {@code ROLLGUARD_*} variables; other variables are ignored. */
  static Map<String, String> fromEnvironment(Map<String, String> environment) {
    return EnvironmentOverrides.read(environment, DEFAULTS.keySet(), List.of(KAFKA_PREFIX));
  }

  public StreamsAppConfig withBootstrapServers(String servers) {
    return new StreamsAppConfig(servers, applicationId, schemaRegistryUrl, impressionsTopic, requestMetricsTopic,
        windowStatsTopic, deadLetterTopic, windowSize, windowGrace, closeCheckInterval, maxFutureSkew, stateDir, kafka);
  }

  public StreamsAppConfig withApplicationId(String id) {
    return new StreamsAppConfig(bootstrapServers, id, schemaRegistryUrl, impressionsTopic, requestMetricsTopic,
        windowStatsTopic, deadLetterTopic, windowSize, windowGrace, closeCheckInterval, maxFutureSkew, stateDir, kafka);
  }

  public StreamsAppConfig withWindows(Duration size, Duration grace, Duration closeCheck) {
    return new StreamsAppConfig(bootstrapServers, applicationId, schemaRegistryUrl, impressionsTopic,
        requestMetricsTopic, windowStatsTopic, deadLetterTopic, size, grace, closeCheck, maxFutureSkew, stateDir, kafka);
  }

  public StreamsAppConfig withStateDir(String dir) {
    return new StreamsAppConfig(bootstrapServers, applicationId, schemaRegistryUrl, impressionsTopic,
        requestMetricsTopic, windowStatsTopic, deadLetterTopic, windowSize, windowGrace, closeCheckInterval,
        maxFutureSkew, dir, kafka);
  }

  public StreamsAppConfig withKafka(Map<String, String> extra) {
    Map<String, String> merged = new TreeMap<>(kafka);
    merged.putAll(extra);
    return new StreamsAppConfig(bootstrapServers, applicationId, schemaRegistryUrl, impressionsTopic,
        requestMetricsTopic, windowStatsTopic, deadLetterTopic, windowSize, windowGrace, closeCheckInterval,
        maxFutureSkew, stateDir, merged);
  }

  private static String requireText(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " must not be blank");
    }
    return value.trim();
  }

  private static void requirePositive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(key + " must be > 0, got " + d);
    }
  }
}
