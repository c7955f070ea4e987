package dev.rollguard.streams.config;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one rule every configuration key follows: the variable {@code ROLLGUARD_} + the key upper-cased, with
 * {@code .} and {@code -} as {@code _}, overrides the file. Pass-through prefixes such as {@code kafka.} map back the
 * other way: {@code ROLLGUARD_KAFKA_MAX_POLL_RECORDS} is {@code kafka.max.poll.records}.
 */
public final class EnvironmentOverrides {
  public static final String ENV_PREFIX = "ROLLGUARD_";

  private EnvironmentOverrides() {}

  public static String variable(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * The keys the environment sets: every named key whose variable is present, and, for each pass-through prefix,
   * every variable under that prefix's own variable. Other variables are ignored: they belong to other parts of
   * Rollguard (advisor, applier) or to nobody.
   */
  public static Map<String, String> read(Map<String, String> environment, Collection<String> keys,
                                         List<String> passThroughPrefixes) {
    Map<String, String> byVariable = new LinkedHashMap<>();
    keys.forEach(k -> byVariable.put(variable(k), k));
    Map<String, String> values = new LinkedHashMap<>();
    new TreeMap<>(environment).forEach((name, value) -> {
      String key = byVariable.get(name);
      if (key != null) {
        values.put(key, value.trim());
        return;
      }
      for (String prefix : passThroughPrefixes) {
        String prefixVariable = variable(prefix);
        if (name.startsWith(prefixVariable)) {
          String suffix = name.substring(prefixVariable.length()).toLowerCase(Locale.ROOT).replace('_', '.');
          values.put(prefix + suffix, value.trim());
          return;
        }
      }
    });
    return values;
  }
}
