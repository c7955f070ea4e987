package dev.rollguard.app;

import dev.rollguard.streams.config.EnvironmentOverrides;
import dev.rollguard.streams.config.PropertiesFiles;
import dev.rollguard.advisor.AdvisorConfig;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.schemas.serde.SchemaRegistryConfig;
import dev.rollguard.streams.config.StreamsAppConfig;
import dev.rollguard.streams.decisions.DecisionStageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The whole configuration of {@code rollguard run}: the windows stage ({@link StreamsAppConfig}), the decision stage
 * ({@link DecisionStageConfig}), the schema registry client ({@link SchemaRegistryConfig}) and the LLM advisor
 * ({@link AdvisorConfig}), read once from one properties file and the environment.
 *
 * <p>One rule for every key: the environment variable {@code ROLLGUARD_} + the key upper-cased with {@code .} and
 * {@code -} as {@code _} overrides the file ({@code window.size} → {@code ROLLGUARD_WINDOW_SIZE}). {@code kafka.*} and
 * {@code decisions.kafka.*} pass Kafka properties through ({@code ROLLGUARD_KAFKA_NUM_STREAM_THREADS}). The advisor
 * also honours LocalAI's own variables ({@code LOCALAI_URL}, {@code LOCALAI_MODEL}, {@code LOCALAI_API_KEY[_FILE]},
 * ...), below the {@code ROLLGUARD_ADVISOR_*} ones.
 *
 * <p>Secrets ({@link #SECRET_KEYS}) may be given as a value or, better, as a file: {@code <key>.file} (or its
 * variable) names a file holding only the secret. Secrets are never part of {@link #toString()} or
 * {@link #describe()}.
 */
public final class RunConfig {
  public static final String ENV_PREFIX = StreamsAppConfig.ENV_PREFIX;
  public static final String FILE_SUFFIX = ".file";

  public static final String REGISTRY_USER_INFO = "schema.registry." + SchemaRegistryConfig.BASIC_AUTH_USER_INFO;
  public static final String REGISTRY_AUTO_REGISTER = "schema.registry." + SchemaRegistryConfig.AUTO_REGISTER_SCHEMAS;
  public static final String ADVISOR_ENABLED = "advisor.enabled";
  public static final String ADVISOR_URL = "advisor.url";
  public static final String ADVISOR_MODEL = "advisor.model";
  public static final String ADVISOR_API_KEY = "advisor.api-key";
  public static final String ADVISOR_CONNECT_TIMEOUT = "advisor.connect-timeout";
  public static final String ADVISOR_REQUEST_TIMEOUT = "advisor.request-timeout";
  public static final String ADVISOR_MAX_CONCURRENCY = "advisor.max-concurrency";
  public static final String ADVISOR_GRAMMAR = "advisor.grammar";

  /** Registry client keys beyond {@code schema.registry.url}, with their defaults ("" = unset). */
  public static final Map<String, String> REGISTRY_DEFAULTS = orderedMap(
      REGISTRY_AUTO_REGISTER, "true",
      REGISTRY_USER_INFO, "",
      SchemaRegistryConfig.SSL_TRUSTSTORE_LOCATION, "",
      SchemaRegistryConfig.SSL_TRUSTSTORE_PASSWORD, "",
      SchemaRegistryConfig.SSL_TRUSTSTORE_TYPE, "",
      SchemaRegistryConfig.SSL_KEYSTORE_LOCATION, "",
      SchemaRegistryConfig.SSL_KEYSTORE_PASSWORD, "",
      SchemaRegistryConfig.SSL_KEYSTORE_TYPE, "",
      SchemaRegistryConfig.SSL_KEY_PASSWORD, "",
      SchemaRegistryConfig.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM, "");

  /** Advisor keys with their defaults ("" = unset: AdvisorConfig's own default applies). */
  public static final Map<String, String> ADVISOR_DEFAULTS = orderedMap(
      ADVISOR_ENABLED, "",
      ADVISOR_URL, "",
      ADVISOR_MODEL, "",
      ADVISOR_API_KEY, "",
      ADVISOR_CONNECT_TIMEOUT, "",
      ADVISOR_REQUEST_TIMEOUT, "",
      ADVISOR_MAX_CONCURRENCY, "",
      ADVISOR_GRAMMAR, "");

  /** Keys whose values are secrets: masked everywhere, and each may be read from {@code <key>.file}. */
  public static final Set<String> SECRET_KEYS = Set.of(REGISTRY_USER_INFO, SchemaRegistryConfig.SSL_TRUSTSTORE_PASSWORD,
      SchemaRegistryConfig.SSL_KEYSTORE_PASSWORD, SchemaRegistryConfig.SSL_KEY_PASSWORD, ADVISOR_API_KEY);

  /** Advisor keys and the LocalAI variable each maps to in {@link AdvisorConfig#fromEnv(Map)}. */
  private static final Map<String, String> LOCALAI_VARIABLES = orderedMap(
      ADVISOR_ENABLED, AdvisorConfig.ENV_ENABLED,
      ADVISOR_URL, AdvisorConfig.ENV_URL,
      ADVISOR_MODEL, AdvisorConfig.ENV_MODEL,
      ADVISOR_API_KEY, AdvisorConfig.ENV_API_KEY,
      ADVISOR_CONNECT_TIMEOUT, AdvisorConfig.ENV_CONNECT_TIMEOUT,
      ADVISOR_REQUEST_TIMEOUT, AdvisorConfig.ENV_REQUEST_TIMEOUT,
      ADVISOR_MAX_CONCURRENCY, AdvisorConfig.ENV_MAX_CONCURRENCY,
      ADVISOR_GRAMMAR, AdvisorConfig.ENV_GRAMMAR);

  private static final String MASK = "[hidden]";

  private final StreamsAppConfig windows;
  private final DecisionStageConfig decisions;
  private final Map<String, Object> registry;
  private final AdvisorConfig advisor;
  private final Map<String, String> effective;

  private RunConfig(StreamsAppConfig windows, DecisionStageConfig decisions, Map<String, Object> registry,
      AdvisorConfig advisor, Map<String, String> effective) {
    this.windows = windows;
    this.decisions = decisions;
    this.registry = Collections.unmodifiableMap(registry);
    this.advisor = advisor;
    this.effective = Collections.unmodifiableMap(effective);
  }

  /** Every plain key with its default, in documentation order (not the kafka.* pass-through). */
  public static Map<String, String> defaults() {
    Map<String, String> all = new LinkedHashMap<>(StreamsAppConfig.DEFAULTS);
    DecisionStageConfig.DEFAULTS.forEach(all::putIfAbsent);
    all.putAll(REGISTRY_DEFAULTS);
    all.putAll(ADVISOR_DEFAULTS);
    return Collections.unmodifiableMap(all);
  }

  /** The environment variable of a key: {@code ROLLGUARD_} + upper case, {@code .} and {@code -} as {@code _}. */
  public static String environmentVariable(String key) {
    return StreamsAppConfig.environmentVariable(key);
  }

  /**
   * Reads the file (if any), applies the environment and resolves secret files. Unknown keys are refused, so a typo
   * never falls back to a default.
   */
  public static RunConfig load(Path propertiesFile, Map<String, String> environment) {
    Map<String, String> values = new LinkedHashMap<>(PropertiesFiles.read(propertiesFile));
    values.putAll(fromEnvironment(environment));
    return fromMap(values, environment);
  }

  /**
   * Builds the configuration from key/value pairs (the file and {@code ROLLGUARD_*} variables already merged);
   * {@code environment} supplies LocalAI's own variables below the {@code advisor.*} keys.
   */
  public static RunConfig fromMap(Map<String, String> input, Map<String, String> environment) {
    Map<String, String> known = defaults();
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : input.entrySet()) {
      String key = e.getKey();
      boolean passThrough = key.startsWith(StreamsAppConfig.KAFKA_PREFIX)
          || key.startsWith(DecisionStageConfig.DECISIONS_KAFKA_PREFIX);
      boolean secretFile = key.endsWith(FILE_SUFFIX)
          && SECRET_KEYS.contains(key.substring(0, key.length() - FILE_SUFFIX.length()));
      if (!passThrough && !secretFile && !known.containsKey(key)) {
        throw new IllegalArgumentException("unknown configuration key '" + key + "' (variable "
            + environmentVariable(key) + "); see README.md, section Configuration");
      }
      values.put(key, e.getValue() == null ? "" : e.getValue().trim());
    }
    resolveSecretFiles(values);

    Map<String, String> windowsValues = new LinkedHashMap<>();
    Map<String, String> decisionValues = new LinkedHashMap<>();
    values.forEach((key, value) -> {
      if (StreamsAppConfig.DEFAULTS.containsKey(key) || key.startsWith(StreamsAppConfig.KAFKA_PREFIX)) {
        windowsValues.put(key, value);
      }
      if (DecisionStageConfig.DEFAULTS.containsKey(key) || StreamsAppConfig.DEFAULTS.containsKey(key)
          || key.startsWith(StreamsAppConfig.KAFKA_PREFIX)
          || key.startsWith(DecisionStageConfig.DECISIONS_KAFKA_PREFIX)) {
        decisionValues.put(key, value);
      }
    });
    StreamsAppConfig windows = StreamsAppConfig.fromMap(windowsValues);
    DecisionStageConfig decisions = DecisionStageConfig.fromMap(decisionValues);

    Map<String, Object> registry = new LinkedHashMap<>();
    registry.put(SchemaRegistryConfig.URL, windows.schemaRegistryUrl());
    REGISTRY_DEFAULTS.forEach((key, dflt) -> {
      String v = values.getOrDefault(key, dflt);
      // An explicitly empty algorithm is meaningful (Kafka's convention: no hostname verification).
      if (!v.isEmpty() || key.equals(SchemaRegistryConfig.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM)
          && values.containsKey(key)) {
        registry.put(key, v);
      }
    });
    // Validate now: a bad registry setting must fail at start, not at the first record.
    SchemaRegistryConfig.fromMap(registry);

    AdvisorConfig advisor = AdvisorConfig.fromEnv(advisorVariables(values, environment));

    Map<String, String> effective = new LinkedHashMap<>(defaults());
    values.forEach((k, v) -> {
      if (!k.endsWith(FILE_SUFFIX) || !SECRET_KEYS.contains(k.substring(0, k.length() - FILE_SUFFIX.length()))) {
        effective.put(k, v);
      }
    });
    return new RunConfig(windows, decisions, registry, advisor, effective);
  }

  /** The {@code ROLLGUARD_*} variables that name a key; other variables are ignored. */
  static Map<String, String> fromEnvironment(Map<String, String> environment) {
    List<String> keys = new ArrayList<>(defaults().keySet());
    SECRET_KEYS.forEach(k -> keys.add(k + FILE_SUFFIX));
    return EnvironmentOverrides.read(environment, keys,
        List.of(DecisionStageConfig.DECISIONS_KAFKA_PREFIX, StreamsAppConfig.KAFKA_PREFIX));
  }

  /** A secret given as {@code <key>.file} is read from that file; giving both the value and the file is an error. */
  private static void resolveSecretFiles(Map<String, String> values) {
    for (String key : SECRET_KEYS) {
      String file = values.remove(key + FILE_SUFFIX);
      if (file == null || file.isEmpty()) {
        continue;
      }
      String direct = values.get(key);
      if (direct != null && !direct.isEmpty()) {
        throw new IllegalArgumentException("set " + key + " or " + key + FILE_SUFFIX + ", not both");
      }
      try {
        String secret = Files.readString(Path.of(file)).strip();
        if (secret.isEmpty()) {
          throw new IllegalArgumentException(key + FILE_SUFFIX + " names an empty file: " + file);
        }
        values.put(key, secret);
      } catch (IOException e) {
        // The path is safe to report, the contents never are.
        throw new IllegalArgumentException(key + FILE_SUFFIX + " cannot be read: " + file + " ("
            + e.getClass().getSimpleName() + ")");
      }
    }
  }

  /** LocalAI's variables from the process environment, overridden by the advisor.* keys (file or ROLLGUARD_*). */
  private static Map<String, String> advisorVariables(Map<String, String> values, Map<String, String> environment) {
    Map<String, String> variables = new LinkedHashMap<>();
    LOCALAI_VARIABLES.values().forEach(v -> {
      String value = environment.get(v);
      if (value != null && !value.isBlank()) {
        variables.put(v, value);
      }
    });
    String keyFile = environment.get(AdvisorConfig.ENV_API_KEY_FILE);
    if (keyFile != null && !keyFile.isBlank()) {
      variables.put(AdvisorConfig.ENV_API_KEY_FILE, keyFile);
    }
    LOCALAI_VARIABLES.forEach((key, variable) -> {
      String value = values.get(key);
      if (value != null && !value.isEmpty()) {
        variables.put(variable, value);
        if (key.equals(ADVISOR_API_KEY)) {
          variables.remove(AdvisorConfig.ENV_API_KEY_FILE);
        }
      }
    });
    return variables;
  }

  public StreamsAppConfig windows() {
    return windows;
  }

  public DecisionStageConfig decisions() {
    return decisions;
  }

  /**
   * Whether the stages register their output schemas ({@code schema.registry.auto.register.schemas}, default true).
   * When false, each output subject must already hold the schema: {@link RollguardApp} checks that at start.
   */
  public boolean autoRegisterSchemas() {
    return SchemaRegistryClients.autoRegister(registry);
  }

  /** Confluent-style client keys for {@code SchemaRegistryClients.fromConfig} (holds secrets: never log it). */
  public Map<String, Object> registryClientConfig() {
    return registry;
  }

  public AdvisorConfig advisor() {
    return advisor;
  }

  /** Every effective setting, one {@code key = value} per line, secrets and Kafka credentials masked. */
  public List<String> describe() {
    return effective.entrySet().stream()
        .map(e -> e.getKey() + " = " + (isSensitive(e.getKey()) && !e.getValue().isEmpty() ? MASK : e.getValue()))
        .toList();
  }

  /** Secret keys, and pass-through Kafka keys that look like credentials (sasl.jaas.config, ssl.*.password). */
  static boolean isSensitive(String key) {
    if (SECRET_KEYS.contains(key)) {
      return true;
    }
    String k = key.toLowerCase(Locale.ROOT);
    return (k.startsWith(StreamsAppConfig.KAFKA_PREFIX) || k.startsWith(DecisionStageConfig.DECISIONS_KAFKA_PREFIX))
        && (k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token")
            || k.endsWith(".key"));
  }

  @Override
  public String toString() {
    return "RunConfig" + describe();
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }
}
