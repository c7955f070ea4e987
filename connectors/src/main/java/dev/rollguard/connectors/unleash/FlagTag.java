package dev.rollguard.connectors.unleash;

import java.util.List;

/**
 * An Unleash tag on a flag. Rollguard reads two tags of the tag type {@code rollguard}: {@code rollguard:managed}
 * opts a flag in to enforced decisions, {@code rollguard:paused} lets a human stop automation for the flag.
 */
public record FlagTag(String type, String value) {
  public static final String TYPE = "rollguard";
  public static final FlagTag MANAGED = new FlagTag(TYPE, "managed");
  public static final FlagTag PAUSED = new FlagTag(TYPE, "paused");

  public static boolean isManaged(List<FlagTag> tags) {
    return tags.contains(MANAGED);
  }

  public static boolean isPaused(List<FlagTag> tags) {
    return tags.contains(PAUSED);
  }
}
