package dev.rollguard.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.avro.FlagImpression;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaRegistryConfigTest {
  @StartStop
  private final MockWebServer server = new MockWebServer();

  @Test
  void readsConfluentStyleKeys() {
    SchemaRegistryConfig c = SchemaRegistryConfig.fromMap(Map.of(
        "schema.registry.url", "https://sr1:8081, https://sr2:8081",
        "basic.auth.credentials.source", "USER_INFO",
        "basic.auth.user.info", "svc:pw",
        "schema.registry.ssl.truststore.location", "/etc/ssl/truststore.p12",
        "schema.registry.ssl.truststore.password", "tspw",
        "schema.registry.ssl.endpoint.identification.algorithm", "",
        "http.connect.timeout.ms", 1500,
        "http.read.timeout.ms", "2500",
        "max.retries", "5",
        "auto.register.schemas", false));

    assertThat(c.urls()).containsExactly(URI.create("https://sr1:8081"), URI.create("https://sr2:8081"));
    assertThat(c.basicAuthUserInfo()).isEqualTo("svc:pw");
    assertThat(c.tls().truststoreLocation()).isEqualTo(Path.of("/etc/ssl/truststore.p12"));
    assertThat(c.tls().truststorePassword()).isEqualTo("tspw");
    assertThat(c.tls().verifyHostname()).isFalse();
    assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.readTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.maxRetries()).isEqualTo(5);
    assertThat(c.retryWait()).isEqualTo(SchemaRegistryConfig.DEFAULT_RETRY_WAIT);
    assertThat(c.autoRegisterSchemas()).isFalse();
  }

  @Test
  void defaultsMatchConfluentWhereItHasThem() {
    SchemaRegistryConfig c = SchemaRegistryConfig.fromMap(Map.of("schema.registry.url", "http://registry:8081"));
    assertThat(c.maxRetries()).isEqualTo(3);
    assertThat(c.retryWait()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.retryMaxWait()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.autoRegisterSchemas()).isTrue();
    assertThat(c.tls().verifyHostname()).isTrue();
    assertThat(c.basicAuthUserInfo()).isNull();
  }

  @Test
  void credentialsMayComeFromTheUrlButAreMovedOutOfIt() {
    SchemaRegistryConfig c = SchemaRegistryConfig.fromMap(Map.of(
        "schema.registry.url", "https://svc:pw@registry:8081/prefix",
        "basic.auth.credentials.source", "URL"));
    assertThat(c.basicAuthUserInfo()).isEqualTo("svc:pw");
    assertThat(c.urls()).containsExactly(URI.create("https://registry:8081/prefix"));
  }

  @Test
  void refusesCredentialsInTheUrlWithoutSaying() {
    assertThatThrownBy(() -> SchemaRegistryConfig.fromMap(Map.of("schema.registry.url", "https://svc:pw@registry")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pw");
  }

  @Test
  void refusesAMissingUrlAndBadValues() {
    assertThatThrownBy(() -> SchemaRegistryConfig.fromMap(Map.of()))
        .hasMessageContaining("schema.registry.url");
    assertThatThrownBy(() -> SchemaRegistryConfig.fromMap(Map.of("schema.registry.url", "ftp://x")))
        .hasMessageContaining("http");
    assertThatThrownBy(() -> SchemaRegistryConfig.fromMap(Map.of("schema.registry.url", "http://x", "max.retries", "-1")))
        .hasMessageContaining("max.retries");
    assertThatThrownBy(() -> SchemaRegistryConfig.fromMap(Map.of("schema.registry.url", "http://x",
        "auto.register.schemas", "yes"))).hasMessageContaining("auto.register.schemas");
  }

  @Test
  void toStringNeverShowsSecrets() {
    SchemaRegistryConfig c = SchemaRegistryConfig.fromMap(Map.of(
        "schema.registry.url", "https://registry:8081",
        "basic.auth.user.info", "svc:topsecret1",
        "schema.registry.ssl.truststore.location", "/t.p12",
        "schema.registry.ssl.truststore.password", "topsecret2",
        "schema.registry.ssl.keystore.location", "/k.p12",
        "schema.registry.ssl.keystore.password", "topsecret3",
        "schema.registry.ssl.key.password", "topsecret4"));
    assertThat(c.toString()).doesNotContain("topsecret").doesNotContain("svc:").contains("/t.p12", "[hidden]");
  }

  @Test
  void mockUrlsShareAnInMemoryRegistryPerScope() {
    try {
      SchemaRegistryClient a = SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", "mock://scope-a"));
      SchemaRegistryClient b = SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", "mock://scope-a"));
      SchemaRegistryClient other = SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", "mock://scope-b"));
      assertThat(a).isSameAs(b).isNotSameAs(other);
    } finally {
      SchemaRegistryClients.dropMock("scope-a");
      SchemaRegistryClients.dropMock("scope-b");
    }
  }

  @Test
  void talksTlsToARegistryTrustedThroughTheConfiguredTruststore(@TempDir Path dir) throws Exception {
    Path keystore = dir.resolve("registry.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "registry", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "storepass", "-keypass", "storepass")
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();

    KeyStore serverStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      serverStore.load(in, "storepass".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(serverStore, "storepass".toCharArray());
    SSLContext serverTls = SSLContext.getInstance("TLS");
    serverTls.init(kmf.getKeyManagers(), null, null);
    server.useHttps(serverTls.getSocketFactory());
    // The client trusts only the registry's certificate, in a truststore of its own.
    Path truststore = dir.resolve("trust.p12");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("registry", serverStore.getCertificate("registry"));
    try (OutputStream out = Files.newOutputStream(truststore)) {
      trust.store(out, "trustpass".toCharArray());
    }
    server.enqueue(new MockResponse.Builder().code(200).body("{\"id\":4}").build());
    String url = server.url("/").newBuilder().host("localhost").build().toString();
    assertThat(url).startsWith("https://");

    Map<String, Object> withTrust = Map.of("schema.registry.url", url, "max.retries", 0,
        "schema.registry.ssl.truststore.location", truststore.toString(),
        "schema.registry.ssl.truststore.password", "trustpass",
        "schema.registry.ssl.truststore.type", "PKCS12");
    try (var client = (RestSchemaRegistryClient) SchemaRegistryClients.fromConfig(withTrust)) {
      assertThat(client.register("s-value", FlagImpression.getClassSchema())).isEqualTo(4);
    }
    try (var untrusting = (RestSchemaRegistryClient) SchemaRegistryClients.fromConfig(
        Map.of("schema.registry.url", url, "max.retries", 0))) {
      assertThatThrownBy(() -> untrusting.register("s-value", FlagImpression.getClassSchema()))
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("unreachable");
    }
    assertThatThrownBy(() -> SchemaRegistryClients.fromConfig(Map.of("schema.registry.url", url,
        "schema.registry.ssl.truststore.location", truststore.toString(),
        "schema.registry.ssl.truststore.password", "not-the-password")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truststore")
        .hasMessageNotContaining("not-the-password");
  }
}
