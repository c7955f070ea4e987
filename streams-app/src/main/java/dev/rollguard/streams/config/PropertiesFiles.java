package dev.rollguard.streams.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** Reads the properties file every stage's configuration starts from. */
public final class PropertiesFiles {
  private PropertiesFiles() {}

  /** The file's keys and values, trimmed, in key order; an empty map when {@code file} is null. */
  public static Map<String, String> read(Path file) {
    Map<String, String> values = new TreeMap<>();
    if (file == null) {
      return values;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration file " + file, e);
    }
    p.stringPropertyNames().forEach(k -> values.put(k.trim(), p.getProperty(k).trim()));
    return values;
  }
}
