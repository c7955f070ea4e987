package dev.rollguard.dev;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The same registry contract against the real Confluent Schema Registry (with the Kafka it stores schemas in), so the
 * embedded stand-in and the REST client are checked against the real thing wherever Docker exists. Skipped without
 * Docker. Images can be overridden with {@code -Drollguard.it.kafka.image=...} and
 * {@code -Drollguard.it.schema-registry.image=...}.
 */
@Testcontainers(disabledWithoutDocker = true)
class ConfluentSchemaRegistryIT extends RegistryConformanceContract {
  private static final Network NETWORK = Network.newNetwork();

  @Container
  private static final KafkaContainer KAFKA = new KafkaContainer(
      DockerImageName.parse(System.getProperty("rollguard.it.kafka.image", "apache/kafka:4.1.1")))
      .withNetwork(NETWORK)
      .withListener("kafka:19092");

  @Container
  private static final GenericContainer<?> REGISTRY = new GenericContainer<>(
      DockerImageName.parse(System.getProperty("rollguard.it.schema-registry.image",
          "confluentinc/cp-schema-registry:7.9.1")))
      .withNetwork(NETWORK)
      .withExposedPorts(8081)
      .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
      .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
      .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
      .dependsOn(KAFKA)
      .waitingFor(Wait.forHttp("/subjects").forStatusCode(200));

  @Override
  String registryUrl() {
    return "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8081);
  }
}
