package dev.rollguard.streams.decisions;

import dev.rollguard.avro.FlagWindowStats;
import java.time.Instant;

/**
 * What the decision stage remembers about one flag between windows: the statistics since the current rollout step
 * began and where the flag is in time. One per {@code "<environment>/<flag>"}, in the stage's changelogged store.
 *
 * @param cumulative merge of the step's clean windows; null before the first one (or when the step's only window
 *     straddled the change that started it)
 * @param stepPercent the rollout percent the cumulative statistics belong to (known from FlagState, or the plan step
 *     nearest the observed split for a flag with no known state); null before the first window
 * @param percentKnown whether {@code stepPercent} came from FlagState (false: inferred)
 * @param windowsAtStep closed windows judged at this step, counting the last one judged
 * @param windowsSinceLastChange closed windows since the flag last changed, counting the last one judged
 * @param lastStatePercent FlagState rolloutPercent seen with the last window (null: unknown or no strategy)
 * @param lastStateEventId FlagState lastEventId seen with the last window (null: unknown)
 * @param lastStateEnabled FlagState enabled seen with the last window (null: unknown)
 * @param lastDecidedWindowEnd end of the last window decided; windows ending at or before it are replays
 * @param baseline the historical baseline: the control arm of the most recent earlier step that had one with data,
 *     merged over that step's clean windows (sketches included), as a window-stats record holding only the control
 *     variant over that step's window range; null when no such step was seen. Taken when the step changes; the judge
 *     compares against it only while the flag has no live control arm (at 100%), and it is replaced as soon as a later
 *     step with a live control arm ends. It does not expire with time: the findings name its window range.
 */
public record StepProgress(FlagWindowStats cumulative, Integer stepPercent, boolean percentKnown, int windowsAtStep,
                           int windowsSinceLastChange, Integer lastStatePercent, Long lastStateEventId,
                           Boolean lastStateEnabled, Instant lastDecidedWindowEnd, FlagWindowStats baseline) {

  public StepProgress {
    if (windowsAtStep < 0 || windowsSinceLastChange < 0) {
      throw new IllegalArgumentException("window counts must be >= 0");
    }
  }

  /** Progress with no historical baseline. */
  public StepProgress(FlagWindowStats cumulative, Integer stepPercent, boolean percentKnown, int windowsAtStep,
                      int windowsSinceLastChange, Integer lastStatePercent, Long lastStateEventId,
                      Boolean lastStateEnabled, Instant lastDecidedWindowEnd) {
    this(cumulative, stepPercent, percentKnown, windowsAtStep, windowsSinceLastChange, lastStatePercent,
        lastStateEventId, lastStateEnabled, lastDecidedWindowEnd, null);
  }

  /** A flag never seen before. */
  public static StepProgress initial() {
    return new StepProgress(null, null, false, 0, 0, null, null, null, null, null);
  }

  /** Whether a window ending at {@code windowEnd} was already decided (a replay, or older than the last decision). */
  public boolean alreadyDecided(Instant windowEnd) {
    return lastDecidedWindowEnd != null && !windowEnd.isAfter(lastDecidedWindowEnd);
  }
}
