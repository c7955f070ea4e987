package dev.rollguard.connectors.it;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Unleash server for integration tests: the npm package {@code unleash-server} (installed once into a cache
 * directory) run by Node against an embedded PostgreSQL. Two admin tokens are created at start: one for the applier
 * ({@code rollguard-applier}) and one for a human ({@code alice}), both random per run. The server can be stopped and
 * started again on the same port and database, to test an Unleash outage.
 */
public final class UnleashServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UnleashServer.class);
  public static final String VERSION = "8.2.0";
  public static final String APPLIER = "rollguard-applier";
  public static final String HUMAN = "alice";
  private static final String SCRIPT = "rollguard-unleash.mjs";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path installDir;
  private final EmbeddedPostgres postgres;
  private final int port;
  private final String applierToken = newToken();
  private final String humanToken = newToken();
  private final Path logFile;
  private Process process;

  private UnleashServer(Path installDir, EmbeddedPostgres postgres, int port, Path logFile) {
    this.installDir = installDir;
    this.postgres = postgres;
    this.port = port;
    this.logFile = logFile;
  }

  /** Installs Unleash if needed, starts PostgreSQL and Unleash, and waits until Unleash is healthy. */
  public static UnleashServer start() {
    Path installDir = install();
    EmbeddedPostgres postgres;
    try {
      postgres = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofSeconds(60)).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
    Path logFile = Path.of("target", "unleash-" + postgres.getPort() + ".log").toAbsolutePath();
    UnleashServer server = new UnleashServer(installDir, postgres, freePort(), logFile);
    try {
      server.startProcess();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public String applierToken() {
    return applierToken;
  }

  public String humanToken() {
    return humanToken;
  }

  /** Stops the Unleash process (PostgreSQL keeps running) and waits until it has exited. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    log.info("Unleash stopped");
  }

  /** Starts Unleash again, on the same port and database, and waits until it is healthy. */
  public synchronized void restart() {
    stop();
    startProcess();
  }

  @Override
  public synchronized void close() {
    stop();
    try {
      postgres.close();
    } catch (IOException e) {
      log.warn("cannot stop embedded PostgreSQL: {}", e.toString());
    }
  }

  private synchronized void startProcess() {
    ProcessBuilder pb = new ProcessBuilder("node", SCRIPT).directory(installDir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    Map<String, String> env = pb.environment();
    env.put("SEND_TELEMETRY", "false");
    env.put("RG_PORT", Integer.toString(port));
    env.put("RG_DB_PORT", Integer.toString(postgres.getPort()));
    // Tokens go through the environment, not the command line, so they do not show in process listings.
    env.put("RG_APPLIER_TOKEN", applierToken);
    env.put("RG_HUMAN_TOKEN", humanToken);
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run node (is Node.js installed?)", e);
    }
    awaitHealthy();
    log.info("Unleash {} ready at {} (log {})", VERSION, url(), logFile);
  }

  private void awaitHealthy() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest health = HttpRequest.newBuilder(URI.create(url() + "/health")).timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Unleash exited with " + process.exitValue() + "; see " + logFile);
      }
      try {
        HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 && response.body().contains("GOOD")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      pause(200);
    }
    throw new IllegalStateException("Unleash not healthy within " + START_TIMEOUT + "; see " + logFile);
  }

  /**
   * The cache directory with {@code unleash-server} installed ({@code -Drollguard.unleash.dir}, default
   * {@code ~/.cache/rollguard/unleash-8.2.0}), installing it with npm on first use, and the start script.
   */
  static Path install() {
    Path dir = Path.of(System.getProperty("rollguard.unleash.dir",
        System.getProperty("user.home") + "/.cache/rollguard/unleash-" + VERSION));
    try {
      Files.createDirectories(dir);
      if (!Files.exists(dir.resolve("node_modules/unleash-server/package.json"))) {
        if (!Files.exists(dir.resolve("package.json"))) {
          Files.writeString(dir.resolve("package.json"), "{\"name\":\"rollguard-unleash\",\"private\":true}\n");
        }
        log.info("installing unleash-server@{} into {} (about a minute)", VERSION, dir);
        run(dir, List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "unleash-server@" + VERSION));
      }
      try (var script = UnleashServer.class.getResourceAsStream("/" + SCRIPT)) {
        Files.write(dir.resolve(SCRIPT), script.readAllBytes());
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install Unleash into " + dir, e);
    }
  }

  private static void run(Path dir, List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
    try {
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " failed in " + dir);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String newToken() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return "*:*." + HexFormat.of().formatHex(bytes);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
