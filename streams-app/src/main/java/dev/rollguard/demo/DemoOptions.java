package dev.rollguard.demo;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the demo runs. The defaults tell the whole story in about four minutes on two cores.
 *
 * @param duration stop by itself after this long, or null to run until Ctrl-C
 * @param windowSize tumbling window size
 * @param grace how long after its end a window still accepts events
 * @param usersPerWindow distinct users visiting per window (each visits both routes)
 * @param requestsPerUser requests per user and route in a window
 * @param startPercent rollout percent a newly created demo flag starts at
 * @param regressAfterWindows windows of traffic after which search-ranking-v2's treatment regresses
 * @param environment the Unleash environment the demo runs in
 * @param policyFile a judge policy (RolloutPolicy JSON), or null for the defaults
 */
public record DemoOptions(Duration duration, Duration windowSize, Duration grace, int usersPerWindow,
    int requestsPerUser, int startPercent, int regressAfterWindows, String environment, Path policyFile) {

  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);
  public static final int DEFAULT_USERS_PER_WINDOW = 3000;
  public static final int DEFAULT_REQUESTS_PER_USER = 2;
  /** The default plan's third step: at 10% the treatment arm meets the judge's minimum sample in one window. */
  public static final int DEFAULT_START_PERCENT = 10;
  public static final int DEFAULT_REGRESS_AFTER_WINDOWS = 6;
  public static final String DEFAULT_ENVIRONMENT = "production";

  public DemoOptions {
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("--duration must be positive");
    }
    if (windowSize.toMillis() < 1000 || windowSize.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException("--window must be whole seconds, at least 1 s");
    }
    if (grace.isNegative()) {
      throw new IllegalArgumentException("--grace must be >= 0");
    }
    if (usersPerWindow < 100 || usersPerWindow > 100_000) {
      throw new IllegalArgumentException("--users must be within 100..100000");
    }
    if (requestsPerUser < 1 || requestsPerUser > 20) {
      throw new IllegalArgumentException("--requests-per-user must be within 1..20");
    }
    if (startPercent < 1 || startPercent > 100) {
      throw new IllegalArgumentException("--start-percent must be within 1..100");
    }
    if (regressAfterWindows < 0) {
      throw new IllegalArgumentException("--regress-after must be >= 0");
    }
    if (environment == null || environment.isBlank() || environment.contains("/")) {
      throw new IllegalArgumentException("--environment must be a plain Unleash environment name");
    }
  }

  public static DemoOptions defaults() {
    return new DemoOptions(null, DEFAULT_WINDOW, DEFAULT_GRACE, DEFAULT_USERS_PER_WINDOW, DEFAULT_REQUESTS_PER_USER,
        DEFAULT_START_PERCENT, DEFAULT_REGRESS_AFTER_WINDOWS, DEFAULT_ENVIRONMENT, null);
  }
}
