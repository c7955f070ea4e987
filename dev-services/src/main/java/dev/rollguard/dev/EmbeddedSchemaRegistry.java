package dev.rollguard.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small schema registry speaking the Confluent REST API, in memory, on the JDK HTTP server.
 *
 * <p><b>A dev and test stand-in only.</b> It exists because Confluent's registry cannot be run on the build machines
 * (no Docker, no Confluent jars). Production uses Confluent Schema Registry, Apicurio (ccompat API), Karapace or
 * Redpanda. It has no persistence, no authentication, no TLS, no schema references, no deletes, and Avro only.
 *
 * <p>What it does implement, with Confluent's status codes and {@code {"error_code":..,"message":..}} bodies:
 * <ul>
 *   <li>{@code POST /subjects/{s}/versions}: register (idempotent; global ids shared by identical schemas);
 *       409 when incompatible, 42201 for an invalid schema.
 *   <li>{@code POST /subjects/{s}}: look up a schema under a subject (40401 subject / 40403 schema not found).
 *   <li>{@code GET /schemas/ids/{id}} (40403), {@code GET /subjects}, {@code GET /subjects/{s}/versions},
 *       {@code GET /subjects/{s}/versions/{v|latest}} (40401, 40402, 42202).
 *   <li>{@code GET|PUT /config} and {@code GET|PUT /config/{s}} (40408 without a subject level unless
 *       {@code ?defaultToGlobal=true}; 42203 for an unknown level).
 *   <li>{@code POST /compatibility/subjects/{s}/versions/{v|latest}} ({@code {"is_compatible":..}}, messages with
 *       {@code ?verbose=true}).
 * </ul>
 * Compatibility is checked with Avro's own {@link SchemaCompatibility}; the default level is BACKWARD, as in Confluent,
 * and every level (NONE, BACKWARD, FORWARD, FULL and their _TRANSITIVE forms) is honoured.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Logger log = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> LEVELS = Set.of("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
      "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE");
  private static final int BIND_ATTEMPTS = 5;

  private final HttpServer server;
  private final ExecutorService executor;
  private final String url;

  // Guarded by "this": the registry is tiny, one lock keeps ids, versions and config consistent.
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, Integer> idsByCanonical = new HashMap<>();
  private final Map<String, List<Integer>> versionsBySubject = new TreeMap<>();
  private final Map<String, String> levelBySubject = new HashMap<>();
  private String globalLevel = "BACKWARD";
  private final AtomicInteger requests = new AtomicInteger();

  private EmbeddedSchemaRegistry(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
    this.url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Starts on a free port of 127.0.0.1. */
  public static EmbeddedSchemaRegistry start() {
    return start(0);
  }

  /** Starts on the given port of 127.0.0.1 (0 for a free one). */
  public static EmbeddedSchemaRegistry start(int port) {
    IOException last = null;
    // Port 0 lets the kernel pick, which cannot race; a fixed port may be briefly held: retry a few times.
    for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      try {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
          Thread t = new Thread(r, "embedded-schema-registry");
          t.setDaemon(true);
          return t;
        });
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server, executor);
        server.createContext("/", registry::handle);
        server.setExecutor(executor);
        server.start();
        log.info("embedded schema registry (dev/test stand-in) at {}", registry.url);
        return registry;
      } catch (BindException e) {
        last = e;
        sleep(200L * attempt);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new UncheckedIOException("cannot bind the embedded schema registry to port " + port, last);
  }

  /** The base URL, e.g. {@code http://127.0.0.1:43121}: the value for {@code schema.registry.url}. */
  public String url() {
    return url;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The client configuration that points at this registry. */
  public Map<String, Object> clientConfig() {
    return Map.of("schema.registry.url", url);
  }

  /** Requests served so far (tests use it to check client-side caching). */
  public int requestCount() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- HTTP

  /** An answer: status and JSON body. Errors are answers too, in Confluent's shape. */
  private record Answer(int status, JsonNode body) {
    static Answer ok(JsonNode body) {
      return new Answer(200, body);
    }

    static Answer error(int status, int errorCode, String message) {
      return new Answer(status, JSON.createObjectNode().put("error_code", errorCode).put("message", message));
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    Answer answer;
    try {
      answer = route(exchange.getRequestMethod(), HttpPaths.segments(exchange.getRequestURI().getRawPath()),
          HttpPaths.query(exchange.getRequestURI().getRawQuery()), exchange.getRequestBody());
    } catch (RuntimeException e) {
      log.warn("embedded schema registry: internal error on {} {}", exchange.getRequestMethod(),
          exchange.getRequestURI().getPath(), e);
      answer = Answer.error(500, 50001, "Error in the backend data store: " + e);
    }
    byte[] bytes = JSON.writeValueAsBytes(answer.body());
    exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
    exchange.sendResponseHeaders(answer.status(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
    exchange.close();
  }

  private Answer route(String method, List<String> path, Map<String, String> query, InputStream body)
      throws IOException {
    int n = path.size();
    String first = n > 0 ? path.get(0) : "";
    if (first.equals("subjects")) {
      if (n == 1 && method.equals("GET")) {
        return Answer.ok(subjects());
      }
      if (n == 2 && method.equals("POST")) {
        return withSchema(body, schema -> lookup(path.get(1), schema));
      }
      if (n == 3 && path.get(2).equals("versions")) {
        if (method.equals("POST")) {
          return withSchema(body, schema -> register(path.get(1), schema));
        }
        if (method.equals("GET")) {
          return versions(path.get(1));
        }
      }
      if (n == 4 && path.get(2).equals("versions") && method.equals("GET")) {
        return version(path.get(1), path.get(3));
      }
    } else if (first.equals("schemas") && n == 3 && path.get(1).equals("ids") && method.equals("GET")) {
      return schemaById(path.get(2));
    } else if (first.equals("config") && n <= 2) {
      String subject = n == 2 ? path.get(1) : null;
      if (method.equals("GET")) {
        return getConfig(subject, Boolean.parseBoolean(query.get("defaultToGlobal")));
      }
      if (method.equals("PUT")) {
        return putConfig(subject, readJson(body));
      }
    } else if (first.equals("compatibility") && n == 5 && path.get(1).equals("subjects")
        && path.get(3).equals("versions") && method.equals("POST")) {
      boolean verbose = Boolean.parseBoolean(query.get("verbose"));
      return withSchema(body, schema -> testCompatibility(path.get(2), path.get(4), schema, verbose));
    } else if (n == 0 && method.equals("GET")) {
      return Answer.ok(JSON.createObjectNode());
    }
    return Answer.error(404, 404, "HTTP 404 Not Found");
  }

  private interface SchemaAction {
    Answer apply(Schema schema);
  }

  /** Parses {@code {"schema": "..."}}; 42201 for anything that is not a self-contained Avro schema. */
  private Answer withSchema(InputStream body, SchemaAction action) throws IOException {
    JsonNode request = readJson(body);
    if (request == null || !request.path("schema").isTextual()) {
      return Answer.error(422, 42201, "Invalid schema: the request needs a string field 'schema'");
    }
    String type = request.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      return Answer.error(422, 42201, "Invalid schema: this dev registry supports AVRO only, not " + type);
    }
    if (request.path("references").isArray() && !request.path("references").isEmpty()) {
      return Answer.error(422, 42201, "Invalid schema: this dev registry does not support schema references");
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(request.get("schema").asText());
    } catch (SchemaParseException | NullPointerException e) {
      return Answer.error(422, 42201, "Invalid schema: " + e.getMessage());
    }
    return action.apply(schema);
  }

  private static JsonNode readJson(InputStream body) throws IOException {
    byte[] bytes = body.readAllBytes();
    if (bytes.length == 0) {
      return null;
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      return JSON.createObjectNode();
    }
  }

  // ---------------------------------------------------------------- the registry

  private synchronized Answer register(String subject, Schema schema) {
    String canonical = schema.toString();
    List<Integer> versions = versionsBySubject.getOrDefault(subject, List.of());
    Integer known = idsByCanonical.get(canonical);
    if (known != null && versions.contains(known)) {
      return Answer.ok(JSON.createObjectNode().put("id", known));
    }
    List<String> problems = incompatibilities(subject, schema, versions, level(subject));
    if (!problems.isEmpty()) {
      return Answer.error(409, 409, "Schema being registered is incompatible with an earlier schema for subject \""
          + subject + "\", details: " + problems);
    }
    int id = idsByCanonical.computeIfAbsent(canonical, c -> {
      int next = schemasById.size() + 1;
      schemasById.put(next, schema);
      return next;
    });
    versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
    log.debug("registered {} version {} as id {}", subject, versionsBySubject.get(subject).size(), id);
    return Answer.ok(JSON.createObjectNode().put("id", id));
  }

  private synchronized Answer lookup(String subject, Schema schema) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null) {
      return subjectNotFound(subject);
    }
    Integer id = idsByCanonical.get(schema.toString());
    int index = id == null ? -1 : versions.indexOf(id);
    if (index < 0) {
      return Answer.error(404, 40403, "Schema not found");
    }
    return Answer.ok(versionJson(subject, index + 1, id));
  }

  private synchronized Answer schemaById(String idText) {
    Schema schema = null;
    try {
      schema = schemasById.get(Integer.parseInt(idText));
    } catch (NumberFormatException notANumber) {
      // Falls through to "not found", as Confluent answers for ids that cannot exist.
    }
    if (schema == null) {
      return Answer.error(404, 40403, "Schema " + idText + " not found");
    }
    return Answer.ok(JSON.createObjectNode().put("schema", schema.toString()));
  }

  private synchronized JsonNode subjects() {
    ArrayNode names = JSON.createArrayNode();
    versionsBySubject.keySet().forEach(names::add);
    return names;
  }

  private synchronized Answer versions(String subject) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null) {
      return subjectNotFound(subject);
    }
    ArrayNode numbers = JSON.createArrayNode();
    for (int v = 1; v <= versions.size(); v++) {
      numbers.add(v);
    }
    return Answer.ok(numbers);
  }

  private synchronized Answer version(String subject, String versionText) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null) {
      return subjectNotFound(subject);
    }
    int version = parseVersion(versionText, versions.size());
    if (version == 0) {
      return invalidVersion(versionText);
    }
    if (version > versions.size()) {
      return Answer.error(404, 40402, "Version " + versionText + " not found.");
    }
    return Answer.ok(versionJson(subject, version, versions.get(version - 1)));
  }

  private synchronized Answer testCompatibility(String subject, String versionText, Schema schema, boolean verbose) {
    List<Integer> versions = versionsBySubject.getOrDefault(subject, List.of());
    int version = parseVersion(versionText, versions.size());
    if (version == 0 && !versionText.equals("latest")) {
      return invalidVersion(versionText);
    }
    if (versions.isEmpty() && versionText.equals("latest")) {
      // Confluent: nothing to be incompatible with.
      return Answer.ok(JSON.createObjectNode().put("is_compatible", true));
    }
    if (versions.isEmpty()) {
      return subjectNotFound(subject);
    }
    if (version > versions.size()) {
      return Answer.error(404, 40402, "Version " + versionText + " not found.");
    }
    // Against the one version named; the _TRANSITIVE part of the level only matters when registering.
    String level = level(subject).replace("_TRANSITIVE", "");
    List<String> problems = incompatibilities(subject, schema, List.of(versions.get(version - 1)), level);
    ObjectNode answer = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
    if (verbose) {
      ArrayNode messages = answer.putArray("messages");
      problems.forEach(messages::add);
    }
    return Answer.ok(answer);
  }

  private synchronized Answer getConfig(String subject, boolean defaultToGlobal) {
    if (subject == null) {
      return Answer.ok(JSON.createObjectNode().put("compatibilityLevel", globalLevel));
    }
    String level = levelBySubject.get(subject);
    if (level == null && !defaultToGlobal) {
      return Answer.error(404, 40408, "Subject '" + subject + "' does not have subject-level compatibility configured");
    }
    return Answer.ok(JSON.createObjectNode().put("compatibilityLevel", level == null ? globalLevel : level));
  }

  private synchronized Answer putConfig(String subject, JsonNode request) {
    String level = request == null ? "" : request.path("compatibility").asText("").toUpperCase(Locale.ROOT);
    if (!LEVELS.contains(level)) {
      return Answer.error(422, 42203, "Invalid compatibility level. Valid values are " + new TreeSet<>(LEVELS));
    }
    if (subject == null) {
      globalLevel = level;
    } else {
      levelBySubject.put(subject, level);
    }
    return Answer.ok(JSON.createObjectNode().put("compatibility", level));
  }

  private String level(String subject) {
    return levelBySubject.getOrDefault(subject, globalLevel);
  }

  /**
   * Why the schema cannot join the subject under the level, empty when it can. BACKWARD: the new schema reads data
   * written with the old; FORWARD: the old reads data written with the new; FULL: both. Non-transitive levels check
   * the latest version only.
   */
  private List<String> incompatibilities(String subject, Schema candidate, List<Integer> versionIds, String level) {
    List<String> problems = new ArrayList<>();
    if (level.equals("NONE") || versionIds.isEmpty()) {
      return problems;
    }
    List<Integer> against = level.endsWith("_TRANSITIVE")
        ? versionIds : List.of(versionIds.get(versionIds.size() - 1));
    boolean backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
    boolean forward = level.startsWith("FORWARD") || level.startsWith("FULL");
    for (int id : against) {
      Schema existing = schemasById.get(id);
      if (backward) {
        describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, existing),
            "new schema cannot read data written with id " + id, problems);
      }
      if (forward) {
        describe(SchemaCompatibility.checkReaderWriterCompatibility(existing, candidate),
            "schema id " + id + " cannot read data written with the new schema", problems);
      }
    }
    return problems;
  }

  private static void describe(SchemaCompatibility.SchemaPairCompatibility result, String what, List<String> into) {
    if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
      return;
    }
    for (SchemaCompatibility.Incompatibility i : result.getResult().getIncompatibilities()) {
      into.add(what + ": " + i.getType() + " at " + i.getLocation() + ": " + i.getMessage());
    }
  }

  private ObjectNode versionJson(String subject, int version, int id) {
    return JSON.createObjectNode()
        .put("subject", subject)
        .put("version", version)
        .put("id", id)
        .put("schema", schemasById.get(id).toString());
  }

  /** 1-based version, the latest for "latest"; 0 for something that is not a version. */
  private static int parseVersion(String text, int latest) {
    if (text.equals("latest") || text.equals("-1")) {
      return latest;
    }
    try {
      int v = Integer.parseInt(text);
      return v >= 1 ? v : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Answer subjectNotFound(String subject) {
    return Answer.error(404, 40401, "Subject '" + subject + "' not found.");
  }

  private static Answer invalidVersion(String text) {
    return Answer.error(422, 42202,
        "The specified version '" + text + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
