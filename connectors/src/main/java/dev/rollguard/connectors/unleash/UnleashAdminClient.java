package dev.rollguard.connectors.unleash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.connectors.unleash.UnleashResult.Failure;
import dev.rollguard.connectors.unleash.UnleashResult.FailureKind;
import dev.rollguard.connectors.unleash.UnleashResult.Ok;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The part of Unleash's Admin API Rollguard uses: read a flag, its tags and its event log; set a flexibleRollout
 * percent (JSON Patch, so the rest of the strategy is kept); turn an environment on or off. Every call returns an
 * {@link UnleashResult}; nothing here throws for an HTTP status. The admin token is sent as the
 * {@code Authorization} header and never appears in a result, a message or {@link #toString()}.
 */
public final class UnleashAdminClient {
  static final int MAX_BODY_CHARS = 2000;
  private static final MediaType JSON = MediaType.get("application/json");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final OkHttpClient http;
  private final HttpUrl baseUrl;
  private final String token;

  /**
   * @param http an OkHttp client (timeouts, proxies, TLS are the caller's)
   * @param baseUrl Unleash's base URL, e.g. {@code http://unleash:4242} (may carry a path prefix)
   * @param token an admin API token (or a personal access token)
   */
  public UnleashAdminClient(OkHttpClient http, String baseUrl, String token) {
    this.http = Objects.requireNonNull(http, "http");
    HttpUrl parsed = HttpUrl.parse(Objects.requireNonNull(baseUrl, "baseUrl"));
    if (parsed == null) {
      throw new IllegalArgumentException("not an http(s) URL: " + baseUrl);
    }
    this.baseUrl = parsed;
    this.token = Objects.requireNonNull(token, "token");
  }

  /** A client with the timeouts Rollguard uses: short connect, bounded request. */
  public static OkHttpClient defaultHttpClient(Duration timeout) {
    return new OkHttpClient.Builder()
        .connectTimeout(Duration.ofMillis(Math.min(timeout.toMillis(), 5_000)))
        .callTimeout(timeout)
        .readTimeout(timeout)
        .retryOnConnectionFailure(false)
        .build();
  }

  public String baseUrl() {
    return baseUrl.toString();
  }

  /**
   * The name Unleash records as {@code createdBy} for this token's changes (the token name for API tokens, the
   * email or username for personal tokens). The response body is withheld: it echoes the token.
   */
  public UnleashResult<String> whoAmI() {
    UnleashResult<String> result = call(get("api/admin/user"), body -> {
      JsonNode user = body.path("user");
      String email = user.path("email").asText("");
      return email.isEmpty() ? user.path("username").asText(null) : email;
    });
    if (result instanceof Ok<String> ok) {
      return ok.value() == null
          ? new Failure<>(ok.status(), FailureKind.REJECTED, "Unleash did not name the token's user", null)
          : new Ok<>(ok.status(), ok.value(), null);
    }
    return result;
  }

  public UnleashResult<FeatureFlag> getFlag(String project, String flag) {
    return call(get(projectPath(project) + "/features/" + segment(flag)), UnleashAdminClient::parseFlag);
  }

  /** Names of the flags in a project (archived flags are not listed). */
  public UnleashResult<List<String>> listFlags(String project) {
    return call(get(projectPath(project) + "/features"), body -> {
      List<String> names = new ArrayList<>();
      body.path("features").forEach(f -> names.add(f.path("name").asText()));
      return names;
    });
  }

  /** Names of the environments Unleash knows (the source publishes tombstones for a gone flag in each). */
  public UnleashResult<List<String>> listEnvironments() {
    return call(get("api/admin/environments"), body -> {
      List<String> names = new ArrayList<>();
      body.path("environments").forEach(e -> names.add(e.path("name").asText()));
      return names;
    });
  }

  public UnleashResult<List<FlagTag>> getTags(String flag) {
    return call(get("api/admin/features/" + segment(flag) + "/tags"), body -> {
      List<FlagTag> tags = new ArrayList<>();
      body.path("tags").forEach(t -> tags.add(new FlagTag(t.path("type").asText(), t.path("value").asText())));
      return tags;
    });
  }

  public UnleashResult<Void> addTag(String flag, FlagTag tag) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("type", tag.type()).put("value", tag.value());
    return call(send("POST", "api/admin/features/" + segment(flag) + "/tags", body), b -> null);
  }

  public UnleashResult<Void> removeTag(String flag, FlagTag tag) {
    return call(send("DELETE", "api/admin/features/" + segment(flag) + "/tags/" + segment(tag.type()) + "/"
        + segment(tag.value()), null), b -> null);
  }

  /** Creates a tag type (e.g. {@code rollguard}); an existing one counts as success. */
  public UnleashResult<Void> ensureTagType(String name, String description) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", name).put("description", description);
    UnleashResult<Void> result = call(send("POST", "api/admin/tag-types", body), b -> null);
    if (result instanceof Failure<Void> f && f.kind() == FailureKind.CONFLICT) {
      return new Ok<>(f.status(), null, f.body());
    }
    return result;
  }

  /**
   * Sets the {@code rollout} parameter of a flexibleRollout strategy with a JSON Patch, keeping its other
   * parameters, constraints and variants (a PUT would replace the strategy whole). Unleash itself accepts any
   * value, even 150: the percent is checked here.
   *
   * @param title the strategy title to set in the same change, or null to leave it
   */
  public UnleashResult<Strategy> setRollout(String project, String flag, String environment, String strategyId,
      int percent, String title) {
    if (percent < 0 || percent > 100) {
      return new Failure<>(0, FailureKind.INVALID, "rollout percent " + percent + " is outside 0..100", null);
    }
    ArrayNode patch = JsonNodeFactory.instance.arrayNode();
    patch.addObject().put("op", "replace").put("path", "/parameters/rollout").put("value", Integer.toString(percent));
    if (title != null) {
      patch.addObject().put("op", "replace").put("path", "/title").put("value", title);
    }
    return call(send("PATCH", strategiesPath(project, flag, environment) + "/" + segment(strategyId), patch),
        UnleashAdminClient::parseStrategy);
  }

  /** Adds a flexibleRollout strategy (for setting flags up: tests, demos). */
  public UnleashResult<Strategy> addFlexibleRollout(String project, String flag, String environment, int percent) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", Strategy.FLEXIBLE_ROLLOUT);
    body.putObject("parameters").put("rollout", Integer.toString(percent)).put("stickiness", "default")
        .put("groupId", flag);
    return call(send("POST", strategiesPath(project, flag, environment), body), UnleashAdminClient::parseStrategy);
  }

  /** Creates a release flag with impression data on (for setting flags up: tests, demos). */
  public UnleashResult<Void> createFlag(String project, String flag) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", flag).put("type", "release")
        .put("impressionData", true);
    return call(send("POST", projectPath(project) + "/features", body), b -> null);
  }

  /** Archives a flag (Unleash's delete): clients stop seeing it. */
  public UnleashResult<Void> archiveFlag(String project, String flag) {
    return call(send("DELETE", projectPath(project) + "/features/" + segment(flag), null), b -> null);
  }

  /** Turns the flag on or off in one environment (off is the kill switch). */
  public UnleashResult<Void> setEnvironmentEnabled(String project, String flag, String environment, boolean on) {
    String path = projectPath(project) + "/features/" + segment(flag) + "/environments/" + segment(environment)
        + (on ? "/on" : "/off");
    return call(send("POST", path, null), b -> null);
  }

  /**
   * One page of the event log, newest first.
   *
   * @param flag only this flag's events, or null for all
   * @param project only this project's events, or null for all
   * @param limit page size, at most 1000
   */
  public UnleashResult<List<UnleashEvent>> searchEvents(String flag, String project, int offset, int limit) {
    HttpUrl.Builder url = baseUrl.newBuilder().addPathSegments("api/admin/search/events")
        .addQueryParameter("offset", Integer.toString(offset))
        .addQueryParameter("limit", Integer.toString(Math.min(limit, 1000)));
    if (flag != null) {
      url.addQueryParameter("feature", "IS:" + flag);
    }
    if (project != null) {
      url.addQueryParameter("project", "IS:" + project);
    }
    return call(authorized(url.build()).get().build(), body -> {
      List<UnleashEvent> events = new ArrayList<>();
      body.path("events").forEach(e -> events.add(parseEvent(e)));
      return events;
    });
  }

  @Override
  public String toString() {
    return "UnleashAdminClient[" + baseUrl + "]";
  }

  // --- HTTP plumbing ---

  private Request get(String path) {
    return authorized(baseUrl.newBuilder().addPathSegments(path).build()).get().build();
  }

  private Request send(String method, String path, JsonNode body) {
    RequestBody requestBody = body == null ? RequestBody.create(new byte[0], JSON) : RequestBody.create(body.toString(), JSON);
    return authorized(baseUrl.newBuilder().addPathSegments(path).build()).method(method, requestBody).build();
  }

  private Request.Builder authorized(HttpUrl url) {
    return new Request.Builder().url(url).header("Authorization", token).header("Accept", "application/json");
  }

  private <T> UnleashResult<T> call(Request request, Function<JsonNode, T> parse) {
    String what = request.method() + " " + request.url().encodedPath();
    try (Response response = http.newCall(request).execute()) {
      ResponseBody responseBody = response.body();
      String body = responseBody == null ? "" : responseBody.string();
      int status = response.code();
      if (!response.isSuccessful()) {
        return new Failure<>(status, FailureKind.ofStatus(status),
            what + " answered " + status + errorMessage(body), truncate(body));
      }
      JsonNode json = body.isBlank() ? JsonNodeFactory.instance.objectNode() : MAPPER.readTree(body);
      return new Ok<>(status, parse.apply(json), truncate(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return new Failure<>(0, FailureKind.REJECTED, what + " answered something that is not JSON", null);
    } catch (IOException e) {
      return new Failure<>(0, FailureKind.NETWORK, what + " failed: " + e, null);
    }
  }

  private static String errorMessage(String body) {
    try {
      String message = MAPPER.readTree(body).path("message").asText("");
      return message.isEmpty() ? "" : ": " + message;
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  static String truncate(String body) {
    if (body == null || body.length() <= MAX_BODY_CHARS) {
      return body;
    }
    return body.substring(0, MAX_BODY_CHARS) + "...(" + (body.length() - MAX_BODY_CHARS) + " more chars)";
  }

  private static String projectPath(String project) {
    return "api/admin/projects/" + segment(project);
  }

  private static String strategiesPath(String project, String flag, String environment) {
    return projectPath(project) + "/features/" + segment(flag) + "/environments/" + segment(environment)
        + "/strategies";
  }

  /**
   * Checks one path segment; {@code addPathSegments} then percent-encodes it. A '/' would split it and "." or ".."
   * would move up the path, so names holding them are refused.
   */
  private static String segment(String value) {
    if (!isValidName(value)) {
      throw new IllegalArgumentException("not a valid Unleash name: '" + value + "'");
    }
    return value;
  }

  /** Whether a flag, project or environment name can be used in an Admin API path. */
  public static boolean isValidName(String value) {
    return value != null && !value.isBlank() && !value.contains("/") && !value.equals(".") && !value.equals("..");
  }

  // --- JSON mapping ---

  static FeatureFlag parseFlag(JsonNode body) {
    List<FeatureEnvironment> environments = new ArrayList<>();
    body.path("environments").forEach(env -> {
      List<Strategy> strategies = new ArrayList<>();
      env.path("strategies").forEach(s -> strategies.add(parseStrategy(s)));
      environments.add(new FeatureEnvironment(env.path("name").asText(), env.path("enabled").asBoolean(),
          List.copyOf(strategies)));
    });
    return new FeatureFlag(body.path("name").asText(), body.path("project").asText(),
        body.path("archived").asBoolean(false), List.copyOf(environments));
  }

  static Strategy parseStrategy(JsonNode s) {
    Map<String, String> parameters = new LinkedHashMap<>();
    s.path("parameters").fields().forEachRemaining(p -> parameters.put(p.getKey(), p.getValue().asText()));
    JsonNode title = s.path("title");
    return new Strategy(s.path("id").asText(null), s.path("name").asText(), title.isTextual() ? title.asText() : null,
        s.path("disabled").asBoolean(false), s.path("sortOrder").asInt(0), Map.copyOf(parameters));
  }

  static UnleashEvent parseEvent(JsonNode e) {
    JsonNode env = e.path("environment");
    JsonNode data = e.path("data");
    return new UnleashEvent(e.path("id").asLong(), e.path("type").asText(), e.path("createdBy").asText(null),
        Instant.parse(e.path("createdAt").asText()), e.path("featureName").asText(null),
        e.path("project").asText(null), env.isTextual() ? env.asText() : null, data.isMissingNode() ? null : data);
  }
}
