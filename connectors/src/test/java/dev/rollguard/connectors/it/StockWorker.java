package dev.rollguard.connectors.it;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A stock Kafka Connect standalone worker in a child JVM whose classpath holds Kafka Connect but none of Rollguard's
 * classes: the connectors can only come from the plugin unpacked into its {@code plugin.path}. Driven over the
 * Connect REST API, as an operator would.
 */
final class StockWorker implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final String restUrl;
  private final HttpClient http = HttpClient.newHttpClient();

  private StockWorker(Process process, String restUrl) {
    this.process = process;
    this.restUrl = restUrl;
  }

  /** Unzips the plugin archive into {@code dir/plugins} and starts a worker with that plugin.path. */
  static StockWorker start(String bootstrapServers, Path pluginZip, Path dir) throws IOException {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    unzip(pluginZip, plugins);
    int port = freePort();
    Path props = dir.resolve("worker.properties");
    Files.writeString(props, String.join("\n",
        "bootstrap.servers=" + bootstrapServers,
        "key.converter=org.apache.kafka.connect.storage.StringConverter",
        "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
        "offset.storage.file.filename=" + dir.resolve("connect.offsets"),
        "listeners=http://127.0.0.1:" + port,
        "plugin.path=" + plugins,
        "plugin.discovery=service_load",
        "config.providers=file",
        "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider",
        ""));
    String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !entry.contains("rollguard-") && !entry.contains("/connectors/target/"))
        .collect(Collectors.joining(File.pathSeparator));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-Xmx512m", "-cp", classpath,
        "org.apache.kafka.connect.cli.ConnectStandalone", props.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("worker.log").toFile()).start();
    StockWorker worker = new StockWorker(process, "http://127.0.0.1:" + port);
    try {
      await("stock Connect worker REST API").atMost(Duration.ofSeconds(60))
          .until(() -> worker.get("/connector-plugins?connectorsOnly=true") != null);
    } catch (RuntimeException e) {
      worker.close();
      throw new IllegalStateException("stock worker did not start; see " + dir.resolve("worker.log"), e);
    }
    return worker;
  }

  /** Class names of the connector plugins the worker found. */
  List<String> connectorClasses() {
    return JSON.convertValue(get("/connector-plugins?connectorsOnly=true").findValuesAsText("class"), List.class);
  }

  void createConnector(String name, Map<String, String> config) throws IOException, InterruptedException {
    String body = JSON.writeValueAsString(Map.of("name", name, "config", config));
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(restUrl + "/connectors"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("creating " + name + " answered " + response.statusCode());
    }
    await("connector " + name + " running").atMost(Duration.ofSeconds(30)).until(() -> {
      JsonNode status = get("/connectors/" + name + "/status");
      return status != null && "RUNNING".equals(status.path("connector").path("state").asText())
          && "RUNNING".equals(status.path("tasks").path(0).path("state").asText());
    });
  }

  private JsonNode get(String path) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(restUrl + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void unzip(Path zip, Path into) throws IOException {
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        Path target = into.resolve(entry.getName()).normalize();
        if (!target.startsWith(into)) {
          throw new IOException("zip entry outside the target: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(in, target);
        }
      }
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
