package dev.rollguard.simulate;

import dev.rollguard.avro.Action;
import java.util.Map;

/**
 * How one flag ended.
 *
 * @param flag flag name
 * @param environment environment
 * @param startPercent rollout percent at window 0
 * @param finalPercent rollout percent after the last window
 * @param enabled false once a KILL was enforced
 * @param actions how many decisions of each action (every action present, zero when none)
 * @param enforced how many decisions were ENFORCE
 * @param firstRollbackWindow first window with a ROLLBACK decision, or -1
 * @param firstKillWindow first window with a KILL decision, or -1
 */
public record FlagSummary(String flag, String environment, int startPercent, int finalPercent, boolean enabled,
                          Map<Action, Integer> actions, int enforced, int firstRollbackWindow, int firstKillWindow) {
  public FlagSummary {
    actions = Map.copyOf(actions);
  }
}
