package dev.rollguard.simulate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.judge.RolloutPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A simulation scenario, the public format of {@code rollguard simulate} (documented in {@code docs/scenarios.md}).
 * Every value is checked when the file is read, so a bad scenario fails before any traffic is generated, with the
 * JSON path of the bad field in the message.
 *
 * @param seed seeds every random draw: the same seed gives the same output
 * @param windowSeconds length of a tumbling window in simulated seconds
 * @param windows how many windows to simulate
 * @param flags the flags, each with its own traffic
 * @param description optional free text, shown on stderr
 */
public record Scenario(long seed, int windowSeconds, int windows, List<Flag> flags, String description) {
  public static final int MAX_WINDOWS = 10_000;
  public static final int MAX_WINDOW_SECONDS = 86_400;

  private static final ObjectMapper MAPPER = new ObjectMapper()
      // A misspelt field must not silently fall back to a default.
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public Scenario {
    require(windowSeconds >= 1 && windowSeconds <= MAX_WINDOW_SECONDS,
        "windowSeconds must be in 1.." + MAX_WINDOW_SECONDS + ", got " + windowSeconds);
    require(windows >= 1 && windows <= MAX_WINDOWS, "windows must be in 1.." + MAX_WINDOWS + ", got " + windows);
    require(flags != null && !flags.isEmpty(), "flags must list at least one flag");
    flags = List.copyOf(flags);
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < flags.size(); i++) {
      Flag flag = flags.get(i);
      require(flag != null, "flags[" + i + "] must not be null");
      require(keys.add(flag.environment() + "/" + flag.name()),
          "flags[" + i + "]: flag '" + flag.name() + "' in '" + flag.environment() + "' is listed twice");
      for (int c = 0; c < flag.changes().size(); c++) {
        int at = flag.changes().get(c).atWindow();
        require(at < windows, "flags[" + i + "].changes[" + c + "].atWindow must be below windows (" + windows
            + "), got " + at);
      }
    }
  }

  @JsonCreator
  static Scenario json(@JsonProperty(value = "seed", required = true) Long seed,
                       @JsonProperty(value = "windowSeconds", required = true) Integer windowSeconds,
                       @JsonProperty(value = "windows", required = true) Integer windows,
                       @JsonProperty(value = "flags", required = true) List<Flag> flags,
                       @JsonProperty("description") String description) {
    return new Scenario(required("seed", seed), required("windowSeconds", windowSeconds),
        required("windows", windows), flags, description);
  }

  /** Reads and checks a scenario file. */
  public static Scenario load(Path file) {
    String json;
    try {
      json = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new InvalidScenarioException("scenario file not found: " + file, e);
    } catch (IOException e) {
      throw new InvalidScenarioException("cannot read scenario file " + file + ": " + e.getMessage(), e);
    }
    return parse(json);
  }

  /** Parses and checks a scenario; the message of the exception names the bad field. */
  public static Scenario parse(String json) {
    try {
      Scenario scenario = MAPPER.readValue(json, Scenario.class);
      if (scenario == null) {
        throw new InvalidScenarioException("the scenario is empty (null)");
      }
      return scenario;
    } catch (UnrecognizedPropertyException e) {
      throw new InvalidScenarioException(at(e, 1) + "unknown field '" + e.getPropertyName() + "'; known fields: "
          + e.getKnownPropertyIds(), e);
    } catch (JsonMappingException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String message = root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage();
      throw new InvalidScenarioException(at(e, 0) + message, e);
    } catch (JsonProcessingException e) {
      throw new InvalidScenarioException("not valid JSON: " + e.getOriginalMessage()
          + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column "
              + e.getLocation().getColumnNr() + ")" : ""), e);
    }
  }

  /** The JSON path of the problem, without its last {@code drop} elements (an unknown field's own name). */
  private static String at(JsonMappingException e, int drop) {
    StringBuilder path = new StringBuilder();
    List<JsonMappingException.Reference> refs = e.getPath();
    for (JsonMappingException.Reference ref : refs.subList(0, Math.max(0, refs.size() - drop))) {
      if (ref.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.length() == 0 ? "" : path + ": ";
  }

  /**
   * One flag and its traffic.
   *
   * @param name Unleash flag name
   * @param environment Unleash environment (default {@code production})
   * @param startPercent rollout percent at window 0 (default: the plan's first step)
   * @param managed opted in: decisions are ENFORCE and change the traffic from the next window on
   * @param plan the flag's rollout plan, fields not given take the default plan's values; null: the default plan
   * @param thresholds optional partial judge thresholds (fields of {@code JudgeConfig}) for this flag
   * @param usersPerWindow distinct users per window, drawn from a population ten times larger
   * @param requestsPerUser requests each of those users makes in the window
   * @param control the control arm's behaviour
   * @param treatment the treatment arm's behaviour
   * @param changes profile overrides from a window on, in order
   * @param assignmentBias share of treatment users whose events are lost (a broken SDK): a sample-ratio mismatch
   */
  public record Flag(String name, String environment, int startPercent, boolean managed, RolloutPlan plan,
                     ObjectNode thresholds, int usersPerWindow, int requestsPerUser, Profile control,
                     Profile treatment, List<Change> changes, double assignmentBias) {
    public static final int MAX_USERS_PER_WINDOW = 10_000_000;
    public static final int MAX_REQUESTS_PER_USER = 1_000;

    public Flag {
      require(name != null && !name.isBlank(), "name must not be blank");
      require(environment != null && !environment.isBlank() && environment.indexOf('/') < 0,
          "environment must not be blank nor contain '/', got '" + environment + "'");
      require(startPercent >= 0 && startPercent <= 100, "startPercent must be in 0..100, got " + startPercent);
      require(usersPerWindow >= 0 && usersPerWindow <= MAX_USERS_PER_WINDOW,
          "usersPerWindow must be in 0.." + MAX_USERS_PER_WINDOW + ", got " + usersPerWindow);
      require(requestsPerUser >= 1 && requestsPerUser <= MAX_REQUESTS_PER_USER,
          "requestsPerUser must be in 1.." + MAX_REQUESTS_PER_USER + ", got " + requestsPerUser);
      require(control != null, "control is required");
      require(treatment != null, "treatment is required");
      control.requireComplete("control");
      treatment.requireComplete("treatment");
      changes = changes == null ? List.of() : List.copyOf(changes);
      require(assignmentBias >= 0 && assignmentBias < 1, "assignmentBias must be in [0, 1), got " + assignmentBias);
      // Every profile the changes produce must itself be valid (e.g. p99 not below the median).
      for (int c = 0; c < changes.size(); c++) {
        Arms arms = profilesAt(changes.get(c).atWindow(), control, treatment, changes);
        arms.control().requireComplete("control after changes[" + c + "]");
        arms.treatment().requireComplete("treatment after changes[" + c + "]");
      }
    }

    @JsonCreator
    static Flag json(@JsonProperty(value = "name", required = true) String name,
                     @JsonProperty("environment") String environment,
                     @JsonProperty("startPercent") Integer startPercent,
                     @JsonProperty("managed") Boolean managed,
                     @JsonProperty("plan") RolloutPlan plan,
                     @JsonProperty("thresholds") ObjectNode thresholds,
                     @JsonProperty(value = "usersPerWindow", required = true) Integer usersPerWindow,
                     @JsonProperty(value = "requestsPerUser", required = true) Integer requestsPerUser,
                     @JsonProperty(value = "control", required = true) Profile control,
                     @JsonProperty(value = "treatment", required = true) Profile treatment,
                     @JsonProperty("changes") List<Change> changes,
                     @JsonProperty("assignmentBias") Double assignmentBias) {
      RolloutPlan effectivePlan = plan != null ? plan : RolloutPlan.defaults();
      return new Flag(name, environment != null ? environment : "production",
          startPercent != null ? startPercent : effectivePlan.steps().get(0), managed != null && managed, plan,
          thresholds, required("usersPerWindow", usersPerWindow), required("requestsPerUser", requestsPerUser),
          control, treatment, changes, assignmentBias != null ? assignmentBias : 0.0);
    }

    /** The control and treatment profiles in force during {@code window}. */
    public Arms profilesAt(int window) {
      return profilesAt(window, control, treatment, changes);
    }

    private static Arms profilesAt(int window, Profile control, Profile treatment, List<Change> changes) {
      Profile c = control;
      Profile t = treatment;
      for (Change change : changes) {
        if (change.atWindow() <= window) {
          c = c.overriddenBy(change.control());
          t = t.overriddenBy(change.treatment());
        }
      }
      return new Arms(c, t);
    }
  }

  /** The two arms' profiles in force during one window. */
  public record Arms(Profile control, Profile treatment) {}

  /**
   * How one arm behaves. Complete in {@code control} and {@code treatment}; partial (only what changes) in a change.
   *
   * @param errorRate probability that a request fails
   * @param latencyMedianMs median request latency
   * @param latencyP99Ms 99th percentile of request latency; latency is lognormal through these two points
   * @param conversionRate probability that a user converts in a window
   */
  public record Profile(Double errorRate, Double latencyMedianMs, Double latencyP99Ms, Double conversionRate) {
    public Profile {
      require(errorRate == null || (errorRate >= 0 && errorRate <= 1), "errorRate must be in [0, 1], got " + errorRate);
      require(conversionRate == null || (conversionRate >= 0 && conversionRate <= 1),
          "conversionRate must be in [0, 1], got " + conversionRate);
      require(latencyMedianMs == null || (latencyMedianMs > 0 && Double.isFinite(latencyMedianMs)),
          "latencyMedianMs must be > 0, got " + latencyMedianMs);
      require(latencyP99Ms == null || (latencyP99Ms > 0 && Double.isFinite(latencyP99Ms)),
          "latencyP99Ms must be > 0, got " + latencyP99Ms);
    }

    @JsonCreator
    static Profile json(@JsonProperty("errorRate") Double errorRate,
                        @JsonProperty("latencyMedianMs") Double latencyMedianMs,
                        @JsonProperty("latencyP99Ms") Double latencyP99Ms,
                        @JsonProperty("conversionRate") Double conversionRate) {
      return new Profile(errorRate, latencyMedianMs, latencyP99Ms, conversionRate);
    }

    void requireComplete(String arm) {
      require(errorRate != null && latencyMedianMs != null && latencyP99Ms != null && conversionRate != null,
          arm + " needs errorRate, latencyMedianMs, latencyP99Ms and conversionRate, got " + this);
      require(latencyP99Ms >= latencyMedianMs, arm + ": latencyP99Ms (" + latencyP99Ms
          + ") must not be below latencyMedianMs (" + latencyMedianMs + ")");
    }

    Profile overriddenBy(Profile change) {
      if (change == null) {
        return this;
      }
      return new Profile(
          change.errorRate != null ? change.errorRate : errorRate,
          change.latencyMedianMs != null ? change.latencyMedianMs : latencyMedianMs,
          change.latencyP99Ms != null ? change.latencyP99Ms : latencyP99Ms,
          change.conversionRate != null ? change.conversionRate : conversionRate);
    }
  }

  /**
   * Overrides of profile fields from {@code atWindow} on (0-based); later changes win over earlier ones.
   *
   * @param atWindow the first window the change is in force
   * @param control fields of control that change, or null
   * @param treatment fields of treatment that change, or null
   */
  public record Change(int atWindow, Profile control, Profile treatment) {
    public Change {
      require(atWindow >= 0, "atWindow must be >= 0, got " + atWindow);
      require(control != null || treatment != null, "a change needs control or treatment (or both)");
    }

    @JsonCreator
    static Change json(@JsonProperty(value = "atWindow", required = true) Integer atWindow,
                       @JsonProperty("control") Profile control,
                       @JsonProperty("treatment") Profile treatment) {
      return new Change(required("atWindow", atWindow), control, treatment);
    }
  }

  private static <T> T required(String field, T value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " is required");
    }
    return value;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
