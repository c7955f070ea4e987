package dev.rollguard.schemas.serde;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach a schema registry, read from the same keys Confluent's serializers use, so one properties file
 * configures Kafka Streams, Kafka Connect and Rollguard alike. Defaults live here and nowhere else.
 *
 * <p>{@link #toString()} masks the user info and every password: configs get logged.
 *
 * @param urls base URLs (several for failover; a path prefix such as Apicurio's {@code /apis/ccompat/v7} is kept)
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param tls truststore/keystore settings ({@link Tls#DEFAULT}: the JVM's trust store, hostname verification on)
 * @param connectTimeout TCP connect timeout
 * @param readTimeout timeout of one request (read and write)
 * @param maxRetries retries after the first attempt, on 5xx answers and network errors only
 * @param retryWait the wait before the first retry, doubled after each one
 * @param retryMaxWait the longest wait between two attempts
 * @param autoRegisterSchemas whether serializers register their schema (true) or only look it up (false)
 */
public record SchemaRegistryConfig(
    List<URI> urls,
    String basicAuthUserInfo,
    Tls tls,
    Duration connectTimeout,
    Duration readTimeout,
    int maxRetries,
    Duration retryWait,
    Duration retryMaxWait,
    boolean autoRegisterSchemas) {

  public static final String URL = "schema.registry.url";
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
  public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
  public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
  public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
  public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
  public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
  public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
  public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";
  public static final String SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = "schema.registry.ssl.endpoint.identification.algorithm";
  public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
  public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
  public static final String MAX_RETRIES = "max.retries";
  public static final String RETRIES_WAIT_MS = "retries.wait.ms";
  public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_RETRIES = 3;
  public static final Duration DEFAULT_RETRY_WAIT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_RETRY_MAX_WAIT = Duration.ofSeconds(20);

  private static final String MASK = "[hidden]";

  public SchemaRegistryConfig {
    Objects.requireNonNull(urls, "urls");
    if (urls.isEmpty()) {
      throw new IllegalArgumentException(URL + " is required");
    }
    for (URI u : urls) {
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException(URL + " must be http:// or https://, got " + withoutUserInfo(u));
      }
      if (u.getUserInfo() != null) {
        // Credentials belong in basic.auth.user.info (or source URL, which moves them there): never in a logged URL.
        throw new IllegalArgumentException("user info in " + URL + " needs " + BASIC_AUTH_CREDENTIALS_SOURCE + "=URL");
      }
    }
    urls = List.copyOf(urls);
    tls = tls == null ? Tls.DEFAULT : tls;
    connectTimeout = positive(connectTimeout, DEFAULT_CONNECT_TIMEOUT, HTTP_CONNECT_TIMEOUT_MS);
    readTimeout = positive(readTimeout, DEFAULT_READ_TIMEOUT, HTTP_READ_TIMEOUT_MS);
    if (maxRetries < 0) {
      throw new IllegalArgumentException(MAX_RETRIES + " must be >= 0");
    }
    retryWait = retryWait == null ? DEFAULT_RETRY_WAIT : retryWait;
    retryMaxWait = retryMaxWait == null ? DEFAULT_RETRY_MAX_WAIT : retryMaxWait;
    if (retryWait.isNegative() || retryMaxWait.isNegative()) {
      throw new IllegalArgumentException(RETRIES_WAIT_MS + " and " + RETRIES_MAX_WAIT_MS + " must be >= 0");
    }
    if (basicAuthUserInfo != null && basicAuthUserInfo.isEmpty()) {
      basicAuthUserInfo = null;
    }
  }

  /** A config for one URL with every other setting at its default. */
  public static SchemaRegistryConfig of(String url) {
    return new SchemaRegistryConfig(List.of(URI.create(url)), null, Tls.DEFAULT, null, null, DEFAULT_MAX_RETRIES,
        null, null, true);
  }

  /**
   * Reads the Confluent-style keys (see the constants). Values may be strings, numbers, booleans or Kafka
   * {@code Password}s. Client keys are also accepted with the {@code schema.registry.} prefix, as Confluent does.
   */
  public static SchemaRegistryConfig fromMap(Map<String, ?> config) {
    String urlList = string(config, URL);
    if (urlList == null || urlList.isBlank()) {
      throw new IllegalArgumentException(URL + " is required");
    }
    String source = string(config, BASIC_AUTH_CREDENTIALS_SOURCE);
    boolean fromUrl = source != null && source.trim().equalsIgnoreCase("URL");
    if (source != null && !fromUrl && !source.trim().equalsIgnoreCase("USER_INFO")) {
      throw new IllegalArgumentException(BASIC_AUTH_CREDENTIALS_SOURCE + " must be USER_INFO or URL, got " + source);
    }
    String userInfo = fromUrl ? null : string(config, BASIC_AUTH_USER_INFO);
    List<URI> urls = new ArrayList<>();
    for (String part : urlList.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      URI u = URI.create(part.trim());
      if (fromUrl && u.getUserInfo() != null) {
        userInfo = u.getUserInfo();
      }
      urls.add(fromUrl ? withoutUserInfo(u) : u);
    }
    String algorithm = string(config, SSL_ENDPOINT_IDENTIFICATION_ALGORITHM);
    Tls tls = new Tls(
        path(string(config, SSL_TRUSTSTORE_LOCATION)), string(config, SSL_TRUSTSTORE_PASSWORD),
        string(config, SSL_TRUSTSTORE_TYPE),
        path(string(config, SSL_KEYSTORE_LOCATION)), string(config, SSL_KEYSTORE_PASSWORD),
        string(config, SSL_KEYSTORE_TYPE), string(config, SSL_KEY_PASSWORD),
        // Kafka's convention: an empty algorithm turns hostname verification off.
        algorithm == null || !algorithm.isBlank());
    return new SchemaRegistryConfig(urls, userInfo, tls,
        millis(config, HTTP_CONNECT_TIMEOUT_MS), millis(config, HTTP_READ_TIMEOUT_MS),
        integer(config, MAX_RETRIES, DEFAULT_MAX_RETRIES),
        millis(config, RETRIES_WAIT_MS), millis(config, RETRIES_MAX_WAIT_MS),
        bool(config, AUTO_REGISTER_SCHEMAS, true));
  }

  /** Reads a possibly prefixed key; unwraps Kafka's {@code Password} without loading Kafka classes. */
  static String string(Map<String, ?> config, String key) {
    Object v = config.get(key);
    if (v == null && !key.startsWith("schema.registry.")) {
      v = config.get("schema.registry." + key);
    }
    if (v == null) {
      return null;
    }
    if (v.getClass().getName().equals("org.apache.kafka.common.config.types.Password")) {
      try {
        return (String) v.getClass().getMethod("value").invoke(v);
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException("cannot read password value of " + key, e);
      }
    }
    if (v instanceof List<?> list) {
      return String.join(",", list.stream().map(String::valueOf).toList());
    }
    return String.valueOf(v);
  }

  private static Duration millis(Map<String, ?> config, String key) {
    String v = string(config, key);
    return v == null ? null : Duration.ofMillis(parseLong(key, v));
  }

  private static int integer(Map<String, ?> config, String key, int dflt) {
    String v = string(config, key);
    return v == null ? dflt : Math.toIntExact(parseLong(key, v));
  }

  private static boolean bool(Map<String, ?> config, String key, boolean dflt) {
    String v = string(config, key);
    if (v == null) {
      return dflt;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(key + " must be true or false, got " + v);
    };
  }

  private static long parseLong(String key, String v) {
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got " + v);
    }
  }

  private static Path path(String v) {
    return v == null || v.isBlank() ? null : Path.of(v);
  }

  private static Duration positive(Duration d, Duration dflt, String key) {
    if (d == null) {
      return dflt;
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(key + " must be > 0");
    }
    return d;
  }

  static URI withoutUserInfo(URI u) {
    try {
      return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("bad " + URL, e);
    }
  }

  @Override
  public String toString() {
    return "SchemaRegistryConfig[urls=" + urls + ", basicAuthUserInfo=" + (basicAuthUserInfo == null ? null : MASK)
        + ", tls=" + tls + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout
        + ", maxRetries=" + maxRetries + ", retryWait=" + retryWait + ", retryMaxWait=" + retryMaxWait
        + ", autoRegisterSchemas=" + autoRegisterSchemas + "]";
  }

  /**
   * TLS settings for an https registry. Store types default to the JVM's (PKCS12); a null truststore means the JVM's
   * default trust store. {@link #toString()} masks the passwords.
   */
  public record Tls(
      Path truststoreLocation, String truststorePassword, String truststoreType,
      Path keystoreLocation, String keystorePassword, String keystoreType, String keyPassword,
      boolean verifyHostname) {
    public static final Tls DEFAULT = new Tls(null, null, null, null, null, null, null, true);

    public boolean customStores() {
      return truststoreLocation != null || keystoreLocation != null;
    }

    @Override
    public String toString() {
      return "Tls[truststore=" + truststoreLocation + ", truststorePassword=" + (truststorePassword == null ? null : MASK)
          + ", keystore=" + keystoreLocation + ", keystorePassword=" + (keystorePassword == null ? null : MASK)
          + ", keyPassword=" + (keyPassword == null ? null : MASK) + ", verifyHostname=" + verifyHostname + "]";
    }
  }
}
