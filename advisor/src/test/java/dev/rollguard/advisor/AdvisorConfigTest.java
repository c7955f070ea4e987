package dev.rollguard.advisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class AdvisorConfigTest {

    @Test
    void defaultsAreDisabledWithShortConnectAndLongRequestTimeouts() {
        AdvisorConfig c = AdvisorConfig.defaults();
        assertThat(c.enabled()).isFalse();
        assertThat(c.baseUrl()).isEqualTo("http://localhost:8080");
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.localAiGrammar()).isFalse();
        assertThat(c.hasApiKey()).isFalse();
    }

    @Test
    void toStringNeverShowsTheKey() {
        AdvisorConfig c = AdvisorConfig.builder().apiKey("sk-very-secret").build();
        assertThat(c.toString()).doesNotContain("sk-very-secret").contains("apiKey=<redacted>");
        assertThat(AdvisorConfig.defaults().toString()).contains("apiKey=<none>");
    }

    @Test
    void dropsATrailingSlashAndV1FromTheBaseUrl() {
        assertThat(AdvisorConfig.builder().baseUrl("http://ollama:11434/v1/").build().baseUrl())
                .isEqualTo("http://ollama:11434");
    }

    @Test
    void refusesInvalidSettingsWithAReadableMessage() {
        assertThatThrownBy(() -> AdvisorConfig.builder().enabled(true).build())
                .hasMessageContaining("model is required");
        assertThatThrownBy(() -> AdvisorConfig.builder().baseUrl("localai:8080").build())
                .hasMessageContaining("not an http(s) URL");
        assertThatThrownBy(() -> AdvisorConfig.builder().maxConcurrency(0).build())
                .hasMessageContaining("maxConcurrency must be in 1..64");
        assertThatThrownBy(() -> AdvisorConfig.builder().requestTimeout(Duration.ZERO).build())
                .hasMessageContaining("requestTimeout must be positive");
        assertThatThrownBy(() -> AdvisorConfig.builder().temperature(Double.NaN).build())
                .hasMessageContaining("temperature");
    }

    @Test
    void readsTheEnvironment() {
        AdvisorConfig c = AdvisorConfig.fromEnv(Map.of(
                "LOCALAI_URL", "http://localai:8080",
                "LOCALAI_MODEL", "qwen2.5-1.5b-instruct",
                "LOCALAI_API_KEY", "sk-env",
                "LOCALAI_REQUEST_TIMEOUT", "90",
                "LOCALAI_CONNECT_TIMEOUT", "PT1.5S",
                "LOCALAI_MAX_CONCURRENCY", "1"));
        assertThat(c.enabled()).isTrue();
        assertThat(c.model()).isEqualTo("qwen2.5-1.5b-instruct");
        assertThat(c.apiKey()).isEqualTo("sk-env");
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.maxConcurrency()).isEqualTo(1);
    }

    @Test
    void isDisabledWithoutAUrlOrWhenSwitchedOff() {
        assertThat(AdvisorConfig.fromEnv(Map.of()).enabled()).isFalse();
        assertThat(AdvisorConfig.fromEnv(Map.of("LOCALAI_URL", "http://x:8080", "ROLLGUARD_ADVISOR_ENABLED", "false"))
                .enabled()).isFalse();
    }

    @Test
    void readsTheKeyFromAFileAndNeverEchoesItsContents(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("key");
        Files.writeString(file, "sk-from-file\n");
        AdvisorConfig c = AdvisorConfig.fromEnv(Map.of("LOCALAI_URL", "http://x:8080", "LOCALAI_MODEL", "m",
                "LOCALAI_API_KEY_FILE", file.toString()));
        assertThat(c.apiKey()).isEqualTo("sk-from-file");

        assertThatThrownBy(() -> AdvisorConfig.fromEnv(Map.of("LOCALAI_API_KEY", "a",
                "LOCALAI_API_KEY_FILE", file.toString()))).hasMessageContaining("not both");
        assertThatThrownBy(() -> AdvisorConfig.fromEnv(Map.of("LOCALAI_API_KEY_FILE", dir.resolve("missing").toString())))
                .hasMessageContaining("cannot be read");
    }
}
