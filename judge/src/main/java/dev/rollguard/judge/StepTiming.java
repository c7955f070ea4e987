package dev.rollguard.judge;

/**
 * Where the flag is in time, in closed windows, counting the window being judged.
 *
 * @param windowsAtStep windows since the current rollout step began (the cumulative statistics cover them)
 * @param windowsSinceLastChange windows since the flag last changed in Unleash, by Rollguard or a human
 */
public record StepTiming(int windowsAtStep, int windowsSinceLastChange) {
  public StepTiming {
    if (windowsAtStep < 0 || windowsSinceLastChange < 0) {
      throw new IllegalArgumentException("window counts must be >= 0");
    }
  }
}
