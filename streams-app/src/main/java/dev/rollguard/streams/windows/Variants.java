package dev.rollguard.streams.windows;

/**
 * The variant an exposure counts under. Control is the users served the flag disabled ({@value #CONTROL}). The
 * Unleash SDKs also report {@code "disabled"} as the variant of an enabled flag that has no variants: such users are
 * the treatment, counted under {@value #ENABLED}, so they never mix with control.
 */
public final class Variants {
  public static final String CONTROL = "disabled";
  public static final String ENABLED = "enabled";

  private Variants() {}

  public static String effective(boolean enabled, String variant) {
    if (!enabled) {
      return CONTROL;
    }
    if (variant == null || variant.isBlank() || CONTROL.equals(variant)) {
      return ENABLED;
    }
    return variant;
  }

  /**
   * The unit users are counted in: the userId, else the sessionId, else the event itself. Prefixed so that a userId
   * and a sessionId with the same text stay distinct units.
   */
  public static String unit(String userId, String sessionId, String eventId) {
    if (userId != null && !userId.isBlank()) {
      return "u:" + userId;
    }
    if (sessionId != null && !sessionId.isBlank()) {
      return "s:" + sessionId;
    }
    return "e:" + eventId;
  }
}
