package dev.rollguard.connectors;

import dev.rollguard.connectors.unleash.UnleashAdminClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** The configuration keys both connectors share: where Unleash is, the admin token, and the schema registry. */
public final class UnleashConnection {
  public static final String URL = "unleash.url";
  public static final String TOKEN = "unleash.token";
  public static final String TOKEN_FILE = "unleash.token.file";
  public static final String TIMEOUT_MS = "unleash.timeout.ms";
  public static final String PROJECTS = "unleash.projects";
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

  private static final String GROUP = "Unleash";

  private UnleashConnection() {}

  public static ConfigDef define(ConfigDef def) {
    return def
        .define(URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
            "Base URL of the Unleash server, e.g. http://unleash:4242 (a path prefix is allowed).",
            GROUP, 1, ConfigDef.Width.LONG, "Unleash URL")
        .define(TOKEN, Type.PASSWORD, null, Importance.HIGH,
            "Unleash admin API token. Use a config provider, e.g. ${file:/secrets/unleash.properties:token} or"
                + " ${env:UNLEASH_ADMIN_TOKEN}, never a literal. Either this or " + TOKEN_FILE + " is required.",
            GROUP, 2, ConfigDef.Width.LONG, "Admin token")
        .define(TOKEN_FILE, Type.STRING, null, Importance.HIGH,
            "Path of a file holding only the admin token (e.g. a mounted Kubernetes secret); used when "
                + TOKEN + " is not set.",
            GROUP, 3, ConfigDef.Width.LONG, "Admin token file")
        .define(TIMEOUT_MS, Type.LONG, 10_000L, ConfigDef.Range.between(100, 300_000), Importance.LOW,
            "Timeout of one Admin API call in ms (connecting is bounded by min(this, 5000)).",
            GROUP, 4, ConfigDef.Width.SHORT, "Request timeout")
        .define(PROJECTS, Type.LIST, "default", Importance.MEDIUM,
            "Unleash projects to work on, in order. The sink looks a decision's flag up in these projects;"
                + " the source publishes the state of every flag in them.",
            GROUP, 5, ConfigDef.Width.LONG, "Projects")
        .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Confluent-API schema registry (Confluent, Apicurio, Karapace, Redpanda) for the Avro wire format."
                + " The Confluent client keys (basic.auth.user.info, schema.registry.ssl.*, auto.register.schemas,"
                + " ...) are read from this config too.",
            "Schema registry", 1, ConfigDef.Width.LONG, "Schema registry URL");
  }

  /** The admin token from {@link #TOKEN} or {@link #TOKEN_FILE}; the error never shows the value. */
  public static String token(AbstractConfig config) {
    Password token = config.getPassword(TOKEN);
    if (token != null && !token.value().isBlank()) {
      return token.value().trim();
    }
    String file = config.getString(TOKEN_FILE);
    if (file == null || file.isBlank()) {
      throw new ConfigException("set " + TOKEN + " or " + TOKEN_FILE + " to an Unleash admin API token");
    }
    try {
      String value = Files.readString(Path.of(file)).trim();
      if (value.isEmpty()) {
        throw new ConfigException(TOKEN_FILE, file, "the token file is empty");
      }
      return value;
    } catch (IOException e) {
      throw new ConfigException(TOKEN_FILE, file, "cannot read the token file: " + e.getClass().getSimpleName());
    }
  }

  public static UnleashAdminClient client(AbstractConfig config) {
    Duration timeout = Duration.ofMillis(config.getLong(TIMEOUT_MS));
    return new UnleashAdminClient(UnleashAdminClient.defaultHttpClient(timeout), config.getString(URL), token(config));
  }

  public static List<String> projects(AbstractConfig config) {
    List<String> projects = config.getList(PROJECTS);
    if (projects.isEmpty()) {
      throw new ConfigException(PROJECTS, projects, "name at least one Unleash project");
    }
    return projects;
  }
}
