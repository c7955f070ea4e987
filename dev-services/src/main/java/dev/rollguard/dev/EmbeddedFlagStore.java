package dev.rollguard.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small in-memory flag store that speaks the part of Unleash's Admin API Rollguard's connectors use, on the JDK
 * HTTP server, so that {@code rollguard demo} runs the real connectors with no Unleash installed.
 *
 * <p><b>A dev and demo stand-in only.</b> Production uses Unleash. No persistence, no UI, no client API, no
 * constraints or variants, one tag model; flags are evaluated by whoever reads them.
 *
 * <p>What it serves, with Unleash's paths and JSON shapes (every request needs a known token in {@code Authorization},
 * else 401; the token's user name is what the event log records as {@code createdBy}):
 * <ul>
 *   <li>{@code GET /api/admin/user}: {@code {"user":{"username":..}}}.
 *   <li>{@code GET|POST /api/admin/projects/{p}/features}, {@code GET|DELETE /api/admin/projects/{p}/features/{f}}
 *       (DELETE archives): flags with their environments and strategies.
 *   <li>{@code POST .../features/{f}/environments/{e}/strategies} (add), {@code PATCH .../strategies/{id}}
 *       (JSON Patch: add, replace, remove), {@code POST .../environments/{e}/on|off}.
 *   <li>{@code GET /api/admin/environments}; {@code POST /api/admin/tag-types};
 *       {@code GET|POST /api/admin/features/{f}/tags}, {@code DELETE /api/admin/features/{f}/tags/{type}/{value}}.
 *   <li>{@code GET /api/admin/search/events?feature=IS:..&project=IS:..&environment=IS:..&offset=&limit=}: the event
 *       log, newest first, each event with id, type, createdBy, createdAt, featureName, project, environment, data,
 *       preData.
 * </ul>
 * Like Unleash, it accepts any rollout value a PATCH sets (validation is the client's job).
 */
public final class EmbeddedFlagStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedFlagStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BIND_ATTEMPTS = 5;

  private final HttpServer server;
  private final ExecutorService executor;
  private final String url;
  private final Map<String, String> usersByToken;
  private final List<String> environments;
  private final Clock clock;

  // Guarded by "this": one lock keeps flags, tags and the event log consistent, as one database transaction would.
  private final Map<String, Flag> flags = new LinkedHashMap<>();
  private final List<String> tagTypes = new ArrayList<>();
  private final List<ObjectNode> events = new ArrayList<>();
  private long nextEventId = 1;

  private EmbeddedFlagStore(HttpServer server, ExecutorService executor, Map<String, String> usersByToken,
      List<String> environments, Clock clock) {
    this.server = server;
    this.executor = executor;
    this.url = "http://127.0.0.1:" + server.getAddress().getPort();
    this.usersByToken = Map.copyOf(usersByToken);
    this.environments = List.copyOf(environments);
    this.clock = clock;
  }

  /**
   * Starts on a free port of 127.0.0.1.
   *
   * @param usersByToken the accepted tokens, each with the user name its changes are recorded under
   * @param environments the environments every flag has
   */
  public static EmbeddedFlagStore start(Map<String, String> usersByToken, List<String> environments) {
    if (usersByToken.isEmpty() || environments.isEmpty()) {
      throw new IllegalArgumentException("name at least one token and one environment");
    }
    IOException last = null;
    for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      try {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
          Thread t = new Thread(r, "embedded-flag-store");
          t.setDaemon(true);
          return t;
        });
        EmbeddedFlagStore store = new EmbeddedFlagStore(server, executor, usersByToken, environments,
            Clock.systemUTC());
        server.createContext("/", store::handle);
        server.setExecutor(executor);
        server.start();
        log.info("embedded flag store (Unleash Admin API stand-in) at {}", store.url);
        return store;
      } catch (BindException e) {
        last = e;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new UncheckedIOException("cannot bind the embedded flag store", last);
  }

  /** The base URL, e.g. {@code http://127.0.0.1:43121}: the value for {@code unleash.url}. */
  public String url() {
    return url;
  }

  /** The flexibleRollout percent of a flag in an environment, read directly (tests, the demo's report). */
  public synchronized Optional<Integer> rolloutPercent(String flag, String environment) {
    Flag f = flags.get(flag);
    if (f == null || f.archived || !f.environments.containsKey(environment)) {
      return Optional.empty();
    }
    return f.environments.get(environment).strategies.stream()
        .filter(s -> "flexibleRollout".equals(s.path("name").asText()))
        .findFirst()
        .map(s -> parseIntOrNull(s.path("parameters").path("rollout").asText()));
  }

  /** Whether a flag is on in an environment (false for an unknown flag). */
  public synchronized boolean isEnabled(String flag, String environment) {
    Flag f = flags.get(flag);
    return f != null && !f.archived && f.environments.containsKey(environment)
        && f.environments.get(environment).enabled;
  }

  /** Events recorded so far, oldest first (copies). */
  public synchronized List<JsonNode> events() {
    return events.stream().map(e -> (JsonNode) e.deepCopy()).toList();
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

  // ---------------------------------------------------------------- model

  private static final class Flag {
    final String name;
    final String project;
    final String type;
    final boolean impressionData;
    final Instant createdAt;
    boolean archived;
    final Map<String, Environment> environments = new LinkedHashMap<>();
    final List<ObjectNode> tags = new ArrayList<>();

    Flag(String name, String project, String type, boolean impressionData, Instant createdAt) {
      this.name = name;
      this.project = project;
      this.type = type;
      this.impressionData = impressionData;
      this.createdAt = createdAt;
    }
  }

  private static final class Environment {
    boolean enabled;
    final List<ObjectNode> strategies = new ArrayList<>();
  }

  // ---------------------------------------------------------------- HTTP

  private record Answer(int status, JsonNode body) {
    static Answer ok(JsonNode body) {
      return new Answer(200, body);
    }

    static Answer created(JsonNode body) {
      return new Answer(201, body);
    }

    static Answer error(int status, String name, String message) {
      ObjectNode body = JSON.createObjectNode().put("id", UUID.randomUUID().toString()).put("name", name)
          .put("message", message);
      body.putArray("details").addObject().put("message", message);
      return new Answer(status, body);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    Answer answer;
    try {
      String user = usersByToken.get(exchange.getRequestHeaders().getFirst("Authorization"));
      if (user == null) {
        answer = Answer.error(401, "AuthenticationRequired", "You must log in to use Unleash.");
      } else {
        byte[] body = exchange.getRequestBody().readAllBytes();
        answer = route(exchange.getRequestMethod(), HttpPaths.segments(exchange.getRequestURI().getRawPath()),
            HttpPaths.query(exchange.getRequestURI().getRawQuery()), body, user);
      }
    } catch (BadRequest e) {
      answer = Answer.error(400, "BadDataError", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("embedded flag store: internal error on {} {}", exchange.getRequestMethod(),
          exchange.getRequestURI().getPath(), e);
      answer = Answer.error(500, "InternalError", "internal error: " + e.getClass().getSimpleName());
    }
    byte[] bytes = answer.body() == null ? new byte[0] : JSON.writeValueAsBytes(answer.body());
    if (bytes.length > 0) {
      exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    }
    exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
    exchange.close();
  }

  /** A request whose body or path is unusable: 400. */
  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private synchronized Answer route(String method, List<String> p, Map<String, String> query, byte[] body,
      String user) {
    int n = p.size();
    if (n < 2 || !p.get(0).equals("api") || !p.get(1).equals("admin")) {
      return notFound("no such endpoint");
    }
    List<String> path = p.subList(2, n);
    n = path.size();
    String first = n > 0 ? path.get(0) : "";
    switch (first) {
      case "user":
        if (n == 1 && method.equals("GET")) {
          ObjectNode answer = JSON.createObjectNode();
          answer.putObject("user").put("id", Math.abs(user.hashCode())).put("username", user).put("name", user);
          return Answer.ok(answer);
        }
        break;
      case "environments":
        if (n == 1 && method.equals("GET")) {
          ObjectNode answer = JSON.createObjectNode().put("version", 1);
          ArrayNode list = answer.putArray("environments");
          for (int i = 0; i < environments.size(); i++) {
            list.addObject().put("name", environments.get(i)).put("type", environments.get(i)).put("enabled", true)
                .put("sortOrder", i + 1);
          }
          return Answer.ok(answer);
        }
        break;
      case "tag-types":
        if (n == 1 && method.equals("POST")) {
          String name = json(body).path("name").asText("");
          if (name.isBlank()) {
            throw new BadRequest("\"name\" is required");
          }
          if (tagTypes.contains(name)) {
            return Answer.error(409, "NameExistsError", "There's already a tag type with the name " + name);
          }
          tagTypes.add(name);
          return Answer.created(JSON.createObjectNode().put("name", name));
        }
        break;
      case "features":
        if (n >= 3 && path.get(2).equals("tags")) {
          return tags(method, path, body, user);
        }
        break;
      case "projects":
        if (n >= 3 && path.get(2).equals("features")) {
          return features(method, path.get(1), path.subList(3, n), body, user);
        }
        break;
      case "search":
        if (n == 2 && path.get(1).equals("events") && method.equals("GET")) {
          return searchEvents(query);
        }
        break;
      default:
        break;
    }
    return notFound("no such endpoint");
  }

  private Answer features(String method, String project, List<String> rest, byte[] body, String user) {
    int n = rest.size();
    if (n == 0) {
      if (method.equals("GET")) {
        ObjectNode answer = JSON.createObjectNode().put("version", 1);
        ArrayNode list = answer.putArray("features");
        flags.values().stream().filter(f -> f.project.equals(project) && !f.archived)
            .forEach(f -> list.add(flagJson(f)));
        return Answer.ok(answer);
      }
      if (method.equals("POST")) {
        return createFlag(project, json(body), user);
      }
      return notFound("no such endpoint");
    }
    Flag flag = flags.get(rest.get(0));
    if (flag == null || !flag.project.equals(project) || flag.archived) {
      return notFound("Could not find feature with name " + rest.get(0));
    }
    if (n == 1) {
      if (method.equals("GET")) {
        return Answer.ok(flagJson(flag));
      }
      if (method.equals("DELETE")) {
        flag.archived = true;
        record("feature-archived", user, flag, null, null, null);
        return Answer.ok(null);
      }
      return notFound("no such endpoint");
    }
    if (!rest.get(1).equals("environments") || n < 4) {
      return notFound("no such endpoint");
    }
    String envName = rest.get(2);
    Environment env = flag.environments.get(envName);
    if (env == null) {
      return notFound("Could not find environment " + envName);
    }
    String what = rest.get(3);
    if (n == 4 && (what.equals("on") || what.equals("off")) && method.equals("POST")) {
      boolean on = what.equals("on");
      if (env.enabled != on) {
        env.enabled = on;
        record(on ? "feature-environment-enabled" : "feature-environment-disabled", user, flag, envName, null, null);
      }
      return Answer.ok(null);
    }
    if (!what.equals("strategies")) {
      return notFound("no such endpoint");
    }
    if (n == 4) {
      if (method.equals("POST")) {
        return addStrategy(flag, envName, env, json(body), user);
      }
      if (method.equals("GET")) {
        ArrayNode list = JSON.createArrayNode();
        env.strategies.forEach(s -> list.add(s.deepCopy()));
        return Answer.ok(list);
      }
      return notFound("no such endpoint");
    }
    if (n == 5) {
      ObjectNode strategy = env.strategies.stream().filter(s -> s.path("id").asText().equals(rest.get(4)))
          .findFirst().orElse(null);
      if (strategy == null) {
        return notFound("Could not find strategy with id " + rest.get(4));
      }
      if (method.equals("GET")) {
        return Answer.ok(strategy.deepCopy());
      }
      if (method.equals("PATCH")) {
        ObjectNode before = strategy.deepCopy();
        ObjectNode after = JsonPatch.apply(strategy.deepCopy(), json(body));
        after.put("id", before.path("id").asText());
        env.strategies.set(env.strategies.indexOf(strategy), after);
        record("feature-strategy-update", user, flag, envName, after.deepCopy(), before);
        return Answer.ok(after.deepCopy());
      }
    }
    return notFound("no such endpoint");
  }

  private Answer createFlag(String project, JsonNode body, String user) {
    String name = body.path("name").asText("");
    if (name.isBlank() || name.contains("/")) {
      throw new BadRequest("\"name\" must be a URL-friendly flag name");
    }
    if (flags.containsKey(name)) {
      return Answer.error(409, "NameExistsError", "A flag with name " + name + " already exists");
    }
    Flag flag = new Flag(name, project, body.path("type").asText("release"),
        body.path("impressionData").asBoolean(false), now());
    // As in Unleash, a new flag exists in every environment, switched off, with no strategy.
    environments.forEach(e -> flag.environments.put(e, new Environment()));
    flags.put(name, flag);
    record("feature-created", user, flag, null, flagJson(flag), null);
    return Answer.created(flagJson(flag));
  }

  private Answer addStrategy(Flag flag, String envName, Environment env, JsonNode body, String user) {
    String name = body.path("name").asText("");
    if (name.isBlank()) {
      throw new BadRequest("\"name\" is required");
    }
    ObjectNode strategy = JSON.createObjectNode();
    strategy.put("id", UUID.randomUUID().toString()).put("name", name);
    if (body.path("title").isTextual()) {
      strategy.put("title", body.path("title").asText());
    } else {
      strategy.putNull("title");
    }
    strategy.put("disabled", body.path("disabled").asBoolean(false));
    strategy.put("sortOrder", body.path("sortOrder").asInt(env.strategies.size()));
    ObjectNode parameters = strategy.putObject("parameters");
    // Unleash stores every parameter as a string.
    body.path("parameters").fields().forEachRemaining(e -> parameters.put(e.getKey(), e.getValue().asText()));
    strategy.putArray("constraints");
    strategy.putArray("variants");
    strategy.putArray("segments");
    env.strategies.add(strategy);
    record("feature-strategy-add", user, flag, envName, strategy.deepCopy(), null);
    return Answer.ok(strategy.deepCopy());
  }

  private Answer tags(String method, List<String> path, byte[] body, String user) {
    Flag flag = flags.get(path.get(1));
    if (flag == null || flag.archived) {
      return notFound("Could not find feature with name " + path.get(1));
    }
    if (path.size() == 3 && method.equals("GET")) {
      ObjectNode answer = JSON.createObjectNode().put("version", 1);
      ArrayNode list = answer.putArray("tags");
      flag.tags.forEach(t -> list.add(t.deepCopy()));
      return Answer.ok(answer);
    }
    if (path.size() == 3 && method.equals("POST")) {
      JsonNode b = json(body);
      String type = b.path("type").asText("");
      String value = b.path("value").asText("");
      if (type.isBlank() || value.isBlank()) {
        throw new BadRequest("\"type\" and \"value\" are required");
      }
      if (!tagTypes.contains(type)) {
        return notFound("Could not find tag-type with name " + type);
      }
      ObjectNode tag = JSON.createObjectNode().put("value", value).put("type", type);
      if (flag.tags.contains(tag)) {
        return Answer.error(409, "NameExistsError", "The tag " + type + ":" + value + " is already on the flag");
      }
      flag.tags.add(tag);
      record("feature-tagged", user, flag, null, tag.deepCopy(), null);
      return Answer.created(tag.deepCopy());
    }
    if (path.size() == 5 && method.equals("DELETE")) {
      ObjectNode tag = JSON.createObjectNode().put("value", path.get(4)).put("type", path.get(3));
      if (flag.tags.remove(tag)) {
        record("feature-untagged", user, flag, null, null, tag);
      }
      return Answer.ok(null);
    }
    return notFound("no such endpoint");
  }

  private Answer searchEvents(Map<String, String> query) {
    String feature = is(query.get("feature"));
    String project = is(query.get("project"));
    String environment = is(query.get("environment"));
    int offset = intParam(query, "offset", 0);
    int limit = Math.min(intParam(query, "limit", 50), 1000);
    List<ObjectNode> matching = new ArrayList<>();
    for (int i = events.size() - 1; i >= 0; i--) {
      ObjectNode e = events.get(i);
      if ((feature == null || feature.equals(e.path("featureName").asText(null)))
          && (project == null || project.equals(e.path("project").asText(null)))
          && (environment == null || environment.equals(e.path("environment").asText(null)))) {
        matching.add(e);
      }
    }
    ObjectNode answer = JSON.createObjectNode();
    ArrayNode list = answer.putArray("events");
    matching.stream().skip(offset).limit(limit).forEach(e -> list.add(e.deepCopy()));
    answer.put("total", matching.size());
    return Answer.ok(answer);
  }

  private void record(String type, String user, Flag flag, String environment, JsonNode data, JsonNode preData) {
    ObjectNode e = JSON.createObjectNode();
    e.put("id", nextEventId++).put("type", type).put("createdBy", user).put("createdAt", now().toString())
        .put("featureName", flag.name).put("project", flag.project);
    if (environment == null) {
      e.putNull("environment");
    } else {
      e.put("environment", environment);
    }
    e.set("data", data);
    e.set("preData", preData);
    e.putArray("tags");
    events.add(e);
  }

  private ObjectNode flagJson(Flag f) {
    ObjectNode node = JSON.createObjectNode();
    node.put("name", f.name).put("project", f.project).put("type", f.type).put("impressionData", f.impressionData)
        .put("archived", f.archived).put("stale", false).put("createdAt", f.createdAt.toString());
    ArrayNode envs = node.putArray("environments");
    f.environments.forEach((name, env) -> {
      ObjectNode e = envs.addObject().put("name", name).put("environment", name).put("enabled", env.enabled);
      ArrayNode strategies = e.putArray("strategies");
      env.strategies.forEach(s -> strategies.add(s.deepCopy()));
    });
    ArrayNode tags = node.putArray("tags");
    f.tags.forEach(t -> tags.add(t.deepCopy()));
    return node;
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static Answer notFound(String message) {
    return Answer.error(404, "NotFoundError", message);
  }

  private static JsonNode json(byte[] body) {
    if (body.length == 0) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new BadRequest("the body is not JSON");
    }
  }

  /** Unleash's search filters look like {@code IS:value}. */
  private static String is(String filter) {
    if (filter == null || filter.isBlank()) {
      return null;
    }
    return filter.startsWith("IS:") ? filter.substring(3) : filter;
  }

  private static int intParam(Map<String, String> query, String name, int dflt) {
    String v = query.get(name);
    try {
      return v == null ? dflt : Math.max(0, Integer.parseInt(v));
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be a number");
    }
  }

  private static Integer parseIntOrNull(String s) {
    try {
      return Integer.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** RFC 6902 JSON Patch, the three operations Unleash's strategy PATCH is used with: add, replace, remove. */
  static final class JsonPatch {
    private JsonPatch() {}

    static ObjectNode apply(ObjectNode target, JsonNode patch) {
      if (!patch.isArray()) {
        throw new BadRequest("a JSON Patch is an array of operations");
      }
      for (JsonNode op : patch) {
        String kind = op.path("op").asText("");
        String path = op.path("path").asText("");
        if (!path.startsWith("/") || path.length() < 2) {
          throw new BadRequest("bad JSON Patch path '" + path + "'");
        }
        String[] parts = path.substring(1).split("/");
        ObjectNode parent = target;
        for (int i = 0; i < parts.length - 1; i++) {
          JsonNode child = parent.get(unescape(parts[i]));
          if (child == null || !child.isObject()) {
            throw new BadRequest("JSON Patch path '" + path + "' does not exist");
          }
          parent = (ObjectNode) child;
        }
        String field = unescape(parts[parts.length - 1]);
        switch (kind) {
          case "add" -> parent.set(field, op.path("value").deepCopy());
          case "replace" -> {
            if (!parent.has(field)) {
              throw new BadRequest("JSON Patch replace of missing '" + path + "'");
            }
            parent.set(field, op.path("value").deepCopy());
          }
          case "remove" -> {
            if (parent.remove(field) == null) {
              throw new BadRequest("JSON Patch remove of missing '" + path + "'");
            }
          }
          default -> throw new BadRequest("unsupported JSON Patch op '" + kind + "'");
        }
      }
      return target;
    }

    private static String unescape(String token) {
      return token.replace("~1", "/").replace("~0", "~");
    }
  }
}
