package dev.rollguard.connectors;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The plugin version Connect shows for both connectors, from the build. */
public final class Version {
  private static final String VERSION = load();

  private Version() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    Properties p = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("/rollguard-connectors.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }
}
