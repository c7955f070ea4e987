package dev.rollguard.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A caching client for any registry speaking the Confluent REST API: Confluent Schema Registry, Apicurio (ccompat),
 * Karapace, Redpanda, and Rollguard's own {@code EmbeddedSchemaRegistry} for tests.
 *
 * <ul>
 *   <li>Ids and schemas are cached forever: a registry never changes what an id or a (subject, schema) pair means.
 *   <li>5xx answers and network errors are retried with doubling backoff, moving to the next URL when there are
 *       several; 4xx answers are not retried (asking again gives the same answer).
 *   <li>404s (subject, version or schema not found) surface as {@link SchemaNotFoundException}; every other failure as
 *       {@link SchemaRegistryException} with the registry's {@code error_code}.
 *   <li>Credentials and passwords are never logged; logged URLs carry no user info.
 * </ul>
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient, AutoCloseable {
  public static final MediaType CONTENT_TYPE = MediaType.get("application/vnd.schemaregistry.v1+json");
  private static final Logger log = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SchemaRegistryConfig config;
  private final OkHttpClient http;
  private final boolean ownsHttp;
  private final List<HttpUrl> baseUrls;
  private final String authorization;
  private final AtomicInteger currentUrl = new AtomicInteger();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Integer>> idsBySubject = new ConcurrentHashMap<>();

  /** A client with its own HTTP connection pool, timeouts and TLS settings from the config. */
  public RestSchemaRegistryClient(SchemaRegistryConfig config) {
    this(config, httpClient(config), true);
  }

  /** A client on a caller-provided OkHttp client (its timeouts and TLS win); auth, retries and caching still apply. */
  public RestSchemaRegistryClient(SchemaRegistryConfig config, OkHttpClient http) {
    this(config, http, false);
  }

  private RestSchemaRegistryClient(SchemaRegistryConfig config, OkHttpClient http, boolean ownsHttp) {
    this.config = config;
    this.http = http;
    this.ownsHttp = ownsHttp;
    this.baseUrls = config.urls().stream().map(u -> HttpUrl.get(u.toString())).toList();
    String userInfo = config.basicAuthUserInfo();
    if (userInfo == null) {
      this.authorization = null;
    } else {
      int colon = userInfo.indexOf(':');
      this.authorization = colon < 0
          ? Credentials.basic(userInfo, "")
          : Credentials.basic(userInfo.substring(0, colon), userInfo.substring(colon + 1));
    }
  }

  public SchemaRegistryConfig config() {
    return config;
  }

  @Override
  public int register(String subject, Schema schema) {
    String text = schema.toString();
    Integer cached = cachedId(subject, text);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = call("POST", url("subjects", subject, "versions"), schemaBody(text));
    int id = requiredInt(answer, "id");
    remember(subject, text, id, schema);
    return id;
  }

  @Override
  public int lookup(String subject, Schema schema) {
    String text = schema.toString();
    Integer cached = cachedId(subject, text);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = call("POST", url("subjects", subject), schemaBody(text));
    int id = requiredInt(answer, "id");
    remember(subject, text, id, schema);
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = call("GET", url("schemas", "ids", Integer.toString(id)), null);
    Schema schema = parseAvro(answer, "schema id " + id);
    schemasById.putIfAbsent(id, schema);
    return schemasById.get(id);
  }

  /** {@code GET /subjects}. */
  public List<String> subjects() {
    List<String> subjects = new ArrayList<>();
    call("GET", url("subjects"), null).forEach(n -> subjects.add(n.asText()));
    return subjects;
  }

  /** {@code GET /subjects/{subject}/versions}. */
  public List<Integer> versions(String subject) {
    List<Integer> versions = new ArrayList<>();
    call("GET", url("subjects", subject, "versions"), null).forEach(n -> versions.add(n.asInt()));
    return versions;
  }

  /** {@code GET /subjects/{subject}/versions/latest}. */
  public RegisteredSchema latest(String subject) {
    JsonNode answer = call("GET", url("subjects", subject, "versions", "latest"), null);
    Schema schema = parseAvro(answer, "subject " + subject);
    int id = requiredInt(answer, "id");
    schemasById.putIfAbsent(id, schema);
    return new RegisteredSchema(answer.path("subject").asText(subject), requiredInt(answer, "version"), id, schema);
  }

  /** {@code POST /compatibility/subjects/{subject}/versions/latest}: could this schema be registered under the subject? */
  public boolean isCompatible(String subject, Schema schema) {
    JsonNode answer = call("POST", url("compatibility", "subjects", subject, "versions", "latest"),
        schemaBody(schema.toString()));
    return answer.path("is_compatible").asBoolean(false);
  }

  /** The subject's compatibility level, falling back to the global one ({@code GET /config/{subject}?defaultToGlobal=true}). */
  public String compatibility(String subject) {
    return call("GET", url("config", subject).withQuery("defaultToGlobal", "true"), null).path("compatibilityLevel").asText();
  }

  /** {@code PUT /config/{subject}}, e.g. BACKWARD, FULL_TRANSITIVE or NONE. */
  public void setCompatibility(String subject, String level) {
    ObjectNode body = JSON.createObjectNode().put("compatibility", level);
    call("PUT", url("config", subject), body);
  }

  @Override
  public void close() {
    if (ownsHttp) {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  /** One version of a subject, as the registry reports it. */
  public record RegisteredSchema(String subject, int version, int id, Schema schema) {}

  private Integer cachedId(String subject, String schemaText) {
    Map<String, Integer> ids = idsBySubject.get(subject);
    return ids == null ? null : ids.get(schemaText);
  }

  private void remember(String subject, String schemaText, int id, Schema schema) {
    idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schemaText, id);
    schemasById.putIfAbsent(id, schema);
  }

  private static ObjectNode schemaBody(String schemaText) {
    return JSON.createObjectNode().put("schema", schemaText);
  }

  private static Schema parseAvro(JsonNode answer, String what) {
    String type = answer.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      throw new SchemaRegistryException(what + " is a " + type + " schema, not Avro");
    }
    JsonNode text = answer.get("schema");
    if (text == null || !text.isTextual()) {
      throw new SchemaRegistryException("registry answer for " + what + " has no schema");
    }
    try {
      return new Schema.Parser().parse(text.asText());
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException("registry returned an unparseable schema for " + what + ": " + e.getMessage(), e);
    }
  }

  private static int requiredInt(JsonNode answer, String field) {
    JsonNode n = answer.get(field);
    if (n == null || !n.canConvertToInt()) {
      throw new SchemaRegistryException("registry answer has no integer '" + field + "': " + abbreviate(answer.toString()));
    }
    return n.asInt();
  }

  /** A path below the registry's base URL; the base is chosen per attempt, so that failover can move on. */
  private record Endpoint(List<String> segments, Map<String, String> query) {
    HttpUrl on(HttpUrl base) {
      HttpUrl.Builder b = base.newBuilder();
      segments.forEach(b::addPathSegment);
      query.forEach(b::addQueryParameter);
      return b.build();
    }

    Endpoint withQuery(String name, String value) {
      return new Endpoint(segments, Map.of(name, value));
    }

    @Override
    public String toString() {
      return "/" + String.join("/", segments);
    }
  }

  private static Endpoint url(String... segments) {
    return new Endpoint(List.of(segments), Map.of());
  }

  private JsonNode call(String method, Endpoint endpoint, JsonNode body) {
    long wait = config.retryWait().toMillis();
    String what = method + " " + endpoint;
    for (int attempt = 0; ; attempt++) {
      HttpUrl base = baseUrls.get(Math.floorMod(currentUrl.get(), baseUrls.size()));
      Request.Builder request = new Request.Builder()
          .url(endpoint.on(base))
          .header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      request.method(method, body == null ? null : RequestBody.create(body.toString(), CONTENT_TYPE));
      SchemaRegistryException failure;
      try (Response response = http.newCall(request.build()).execute()) {
        String text = response.body().string();
        if (response.isSuccessful()) {
          log.debug("schema registry {} -> {}", what, response.code());
          return parseJson(text, what);
        }
        failure = error(response.code(), text, what);
      } catch (IOException e) {
        failure = new SchemaRegistryException(
            "schema registry " + redacted(base) + " unreachable for " + what + ": " + e, e);
      }
      if (!failure.isTransient() || attempt >= config.maxRetries()) {
        throw failure;
      }
      // Several URLs: try the next registry instance on the next attempt.
      currentUrl.incrementAndGet();
      log.warn("schema registry {} failed (attempt {} of {}), retrying in {} ms: {}",
          what, attempt + 1, config.maxRetries() + 1, wait, failure.getMessage());
      sleep(wait);
      wait = Math.min(Math.max(1, wait * 2), config.retryMaxWait().toMillis());
    }
  }

  private static JsonNode parseJson(String text, String what) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new SchemaRegistryException("schema registry answered " + what + " with non-JSON: " + abbreviate(text), e);
    }
  }

  private static SchemaRegistryException error(int status, String text, String what) {
    int code = status;
    String message = abbreviate(text);
    try {
      JsonNode n = JSON.readTree(text);
      if (n != null && n.has("error_code")) {
        code = n.get("error_code").asInt(status);
        message = n.path("message").asText(message);
      }
    } catch (IOException notJson) {
      // An HTML error page from a proxy: keep the status and the start of the body.
    }
    String full = "schema registry " + what + " failed: HTTP " + status + ", error_code " + code + ": " + message;
    return status == 404 ? new SchemaNotFoundException(full, code) : new SchemaRegistryException(full, status, code);
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }

  private static String redacted(HttpUrl url) {
    return url.newBuilder().username("").password("").build().toString();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("interrupted while waiting to retry", e);
    }
  }

  private static OkHttpClient httpClient(SchemaRegistryConfig config) {
    OkHttpClient.Builder b = new OkHttpClient.Builder()
        .connectTimeout(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .readTimeout(config.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .writeTimeout(config.readTimeout().toMillis(), TimeUnit.MILLISECONDS)
        // Retries are ours, counted and logged; OkHttp's silent connection retry would double them.
        .retryOnConnectionFailure(false);
    SchemaRegistryConfig.Tls tls = config.tls();
    if (tls.customStores()) {
      try {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(tls.truststoreLocation() == null ? null
            : loadStore(tls.truststoreLocation(), tls.truststoreType(), tls.truststorePassword(), "truststore"));
        KeyManager[] keyManagers = null;
        if (tls.keystoreLocation() != null) {
          KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
          String keyPassword = tls.keyPassword() != null ? tls.keyPassword() : tls.keystorePassword();
          kmf.init(loadStore(tls.keystoreLocation(), tls.keystoreType(), tls.keystorePassword(), "keystore"),
              keyPassword == null ? new char[0] : keyPassword.toCharArray());
          keyManagers = kmf.getKeyManagers();
        }
        X509TrustManager trustManager = null;
        for (TrustManager tm : tmf.getTrustManagers()) {
          if (tm instanceof X509TrustManager x) {
            trustManager = x;
          }
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers, new TrustManager[] {trustManager}, null);
        b.sslSocketFactory(ctx.getSocketFactory(), trustManager);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot set up TLS for the schema registry: " + e.getMessage(), e);
      }
    }
    if (!tls.verifyHostname()) {
      b.hostnameVerifier((host, session) -> true);
    }
    return b.build();
  }

  private static KeyStore loadStore(Path location, String type, String password, String what)
      throws GeneralSecurityException {
    try (InputStream in = Files.newInputStream(location)) {
      KeyStore store = KeyStore.getInstance(type == null || type.isBlank() ? KeyStore.getDefaultType() : type);
      store.load(in, password == null ? null : password.toCharArray());
      return store;
    } catch (IOException e) {
      // The message says which file and why (e.g. a wrong password), never the password itself.
      throw new IllegalArgumentException("cannot load " + what + " " + location + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "RestSchemaRegistryClient[" + config.urls().stream().map(URI::toString).toList() + "]";
  }
}
