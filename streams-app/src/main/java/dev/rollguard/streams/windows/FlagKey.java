package dev.rollguard.streams.windows;

import java.util.Objects;

/**
 * The key of everything downstream of the fan-out, and of {@code rollout.window-stats}: {@code "<environment>/<flag>"}
 * as a UTF-8 string (Kafka's {@code StringSerde}). The environment never contains {@code /} (the intake refuses such
 * events), so the first {@code /} splits the key unambiguously even when a flag name contains one. The decision stage
 * keys by the same string, so its input is co-partitioned with this topology's output.
 */
public record FlagKey(String environment, String flag) {
  public static final char SEPARATOR = '/';

  public FlagKey {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(flag, "flag");
    if (environment.indexOf(SEPARATOR) >= 0) {
      throw new IllegalArgumentException("environment must not contain '/': " + environment);
    }
  }

  public String format() {
    return environment + SEPARATOR + flag;
  }

  public static FlagKey parse(String key) {
    int at = key.indexOf(SEPARATOR);
    if (at < 0) {
      throw new IllegalArgumentException("not a flag key (\"<environment>/<flag>\"): " + key);
    }
    return new FlagKey(key.substring(0, at), key.substring(at + 1));
  }

  @Override
  public String toString() {
    return format();
  }
}
