package dev.rollguard.demo;

import dev.rollguard.connectors.UnleashConnection;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.dev.EmbeddedFlagStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Where the demo's flags live: the Unleash named by {@code UNLEASH_URL} and {@code UNLEASH_ADMIN_TOKEN} (or
 * {@code UNLEASH_ADMIN_TOKEN_FILE}), or else an in-process {@link EmbeddedFlagStore} with fresh random tokens. Tokens
 * are never printed; the connectors get them through a config provider or a token file.
 */
final class FlagBackend implements AutoCloseable {
  static final String ENV_URL = "UNLEASH_URL";
  static final String ENV_TOKEN = "UNLEASH_ADMIN_TOKEN";
  static final String ENV_TOKEN_FILE = "UNLEASH_ADMIN_TOKEN_FILE";
  static final String ENV_PROJECT = "UNLEASH_PROJECT";
  static final String APPLIER_USER = "rollguard-applier";
  static final String DEMO_USER = "rollguard-demo";

  private final String url;
  private final String project;
  private final String description;
  private final UnleashAdminClient client;
  private final Map<String, String> connectorToken;
  private final EmbeddedFlagStore store;

  private FlagBackend(String url, String project, String description, UnleashAdminClient client,
      Map<String, String> connectorToken, EmbeddedFlagStore store) {
    this.url = url;
    this.project = project;
    this.description = description;
    this.client = client;
    this.connectorToken = Map.copyOf(connectorToken);
    this.store = store;
  }

  /**
   * @param env the process environment
   * @param dir a private directory of this run (the embedded store's applier token file goes there)
   */
  static FlagBackend choose(Map<String, String> env, Path dir, List<String> environments) {
    String url = blankToNull(env.get(ENV_URL));
    String project = blankToNull(env.get(ENV_PROJECT)) == null ? "default" : env.get(ENV_PROJECT).strip();
    if (url != null) {
      String token = blankToNull(env.get(ENV_TOKEN));
      String tokenFile = blankToNull(env.get(ENV_TOKEN_FILE));
      if (token == null && tokenFile == null) {
        throw new IllegalArgumentException(ENV_URL + " is set: set " + ENV_TOKEN + " or " + ENV_TOKEN_FILE
            + " to an admin API token too");
      }
      String secret = token != null ? token : readToken(Path.of(tokenFile));
      // The connectors resolve the token themselves: through Connect's env provider, or from the file.
      Map<String, String> connectorToken = token != null
          ? Map.of(UnleashConnection.TOKEN, "${env:" + ENV_TOKEN + "}")
          : Map.of(UnleashConnection.TOKEN_FILE, tokenFile);
      return new FlagBackend(url, project, "Unleash at " + url + " (project " + project + ")",
          new UnleashAdminClient(UnleashAdminClient.defaultHttpClient(Duration.ofSeconds(10)), url, secret),
          connectorToken, null);
    }
    String applierToken = randomToken();
    String demoToken = randomToken();
    EmbeddedFlagStore store = EmbeddedFlagStore.start(Map.of(applierToken, APPLIER_USER, demoToken, DEMO_USER),
        environments);
    Path tokenFile = dir.resolve("unleash-applier.token");
    writePrivate(tokenFile, applierToken);
    return new FlagBackend(store.url(), project, "the in-process flag store at " + store.url()
        + " (an Unleash Admin API stand-in, in memory; set " + ENV_URL + " and " + ENV_TOKEN + " to use a real Unleash)",
        new UnleashAdminClient(UnleashAdminClient.defaultHttpClient(Duration.ofSeconds(10)), store.url(), demoToken),
        Map.of(UnleashConnection.TOKEN_FILE, tokenFile.toString()), store);
  }

  String url() {
    return url;
  }

  String project() {
    return project;
  }

  String description() {
    return description;
  }

  /** A client for setting flags up and for the demo application's reads (not the applier's token when embedded). */
  UnleashAdminClient client() {
    return client;
  }

  /** The connector settings that point at the token: a config-provider reference or a file, never the value. */
  Map<String, String> connectorToken() {
    return connectorToken;
  }

  /** The in-process store, or null when a real Unleash is used. */
  EmbeddedFlagStore store() {
    return store;
  }

  boolean isEmbedded() {
    return store != null;
  }

  @Override
  public void close() {
    if (store != null) {
      store.close();
    }
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return "*:*." + HexFormat.of().formatHex(bytes);
  }

  private static void writePrivate(Path file, String secret) {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, secret);
    } catch (UnsupportedOperationException e) {
      try {
        Files.writeString(file, secret);
      } catch (IOException io) {
        throw new UncheckedIOException(io);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readToken(Path file) {
    try {
      String token = Files.readString(file).strip();
      if (token.isEmpty()) {
        throw new IllegalArgumentException(ENV_TOKEN_FILE + " names an empty file: " + file);
      }
      return token;
    } catch (IOException e) {
      // The path is safe to report; the contents never are.
      throw new IllegalArgumentException(ENV_TOKEN_FILE + " cannot be read: " + file + " ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
