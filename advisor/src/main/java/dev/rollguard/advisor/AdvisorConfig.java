package dev.rollguard.advisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;

/**
 * Settings of the LLM advisor (LocalAI first; Ollama and vLLM speak the same {@code /v1} API).
 *
 * <p>Defaults live in the {@code DEFAULT_*} constants and nowhere else. The API key is never part of
 * {@link #toString()}; read it from the environment or a file with {@link #fromEnv(Map)}.
 *
 * @param enabled          false: the decision stage decides by the rules alone and no call is made
 * @param baseUrl          server root, e.g. {@code http://localai:8080}; a trailing {@code /} or {@code /v1} is dropped
 * @param model            model name as the server knows it (required when enabled)
 * @param apiKey           bearer token, or null when the server needs none
 * @param connectTimeout   TCP connect timeout: short, a dead server should be noticed quickly
 * @param requestTimeout   whole-call timeout: long, CPU generation takes seconds to tens of seconds
 * @param maxConcurrency   calls in flight at most; further calls fail fast as busy
 * @param failureThreshold consecutive failures that open the circuit
 * @param openDuration     how long the circuit stays open before one probe call is allowed
 * @param maxTokens        {@code max_tokens} of the completion
 * @param temperature      sampling temperature (0 keeps answers as repeatable as the server allows)
 * @param maxExplanationChars longer explanations are truncated, not rejected
 * @param localAiGrammar   also send LocalAI's GBNF {@code grammar} field (LocalAI only; off by default)
 */
public record AdvisorConfig(
        boolean enabled,
        String baseUrl,
        String model,
        String apiKey,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxConcurrency,
        int failureThreshold,
        Duration openDuration,
        int maxTokens,
        double temperature,
        int maxExplanationChars,
        boolean localAiGrammar) {

    public static final boolean DEFAULT_ENABLED = false;
    public static final String DEFAULT_BASE_URL = "http://localhost:8080";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONCURRENCY = 2;
    public static final int DEFAULT_FAILURE_THRESHOLD = 3;
    public static final Duration DEFAULT_OPEN_DURATION = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_TOKENS = 384;
    public static final double DEFAULT_TEMPERATURE = 0.0;
    public static final int DEFAULT_MAX_EXPLANATION_CHARS = 1000;
    public static final boolean DEFAULT_LOCALAI_GRAMMAR = false;

    public static final String ENV_URL = "LOCALAI_URL";
    public static final String ENV_MODEL = "LOCALAI_MODEL";
    public static final String ENV_API_KEY = "LOCALAI_API_KEY";
    public static final String ENV_API_KEY_FILE = "LOCALAI_API_KEY_FILE";
    public static final String ENV_ENABLED = "ROLLGUARD_ADVISOR_ENABLED";
    public static final String ENV_CONNECT_TIMEOUT = "LOCALAI_CONNECT_TIMEOUT";
    public static final String ENV_REQUEST_TIMEOUT = "LOCALAI_REQUEST_TIMEOUT";
    public static final String ENV_MAX_CONCURRENCY = "LOCALAI_MAX_CONCURRENCY";
    public static final String ENV_GRAMMAR = "LOCALAI_GRAMMAR";

    public AdvisorConfig {
        baseUrl = normalizeBaseUrl(baseUrl == null || baseUrl.isBlank() ? DEFAULT_BASE_URL : baseUrl.strip());
        model = model == null ? "" : model.strip();
        apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        requestTimeout = requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout;
        openDuration = openDuration == null ? DEFAULT_OPEN_DURATION : openDuration;

        if (HttpUrl.parse(baseUrl) == null) {
            throw new IllegalArgumentException("baseUrl is not an http(s) URL: " + baseUrl);
        }
        if (enabled && model.isEmpty()) {
            throw new IllegalArgumentException("model is required when the advisor is enabled (" + ENV_MODEL + ")");
        }
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("requestTimeout", requestTimeout);
        requirePositive("openDuration", openDuration);
        if (connectTimeout.compareTo(requestTimeout) > 0) {
            throw new IllegalArgumentException("connectTimeout (" + connectTimeout + ") exceeds requestTimeout (" + requestTimeout + ")");
        }
        requireRange("maxConcurrency", maxConcurrency, 1, 64);
        requireRange("failureThreshold", failureThreshold, 1, 1000);
        requireRange("maxTokens", maxTokens, 16, 32_768);
        requireRange("maxExplanationChars", maxExplanationChars, 50, 100_000);
        if (!(temperature >= 0.0 && temperature <= 2.0)) {
            throw new IllegalArgumentException("temperature must be in 0..2, was " + temperature);
        }
    }

    /** All defaults, advisor disabled. */
    public static AdvisorConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .enabled(enabled).baseUrl(baseUrl).model(model).apiKey(apiKey)
                .connectTimeout(connectTimeout).requestTimeout(requestTimeout)
                .maxConcurrency(maxConcurrency).failureThreshold(failureThreshold).openDuration(openDuration)
                .maxTokens(maxTokens).temperature(temperature).maxExplanationChars(maxExplanationChars)
                .localAiGrammar(localAiGrammar);
    }

    /** Reads the process environment; see {@link #fromEnv(Map)}. */
    public static AdvisorConfig fromEnv() {
        return fromEnv(System.getenv());
    }

    /**
     * Reads {@code LOCALAI_URL}, {@code LOCALAI_MODEL}, {@code LOCALAI_API_KEY} or {@code LOCALAI_API_KEY_FILE},
     * {@code LOCALAI_CONNECT_TIMEOUT}, {@code LOCALAI_REQUEST_TIMEOUT} (ISO-8601 like {@code PT90S} or seconds),
     * {@code LOCALAI_MAX_CONCURRENCY}, {@code LOCALAI_GRAMMAR} and {@code ROLLGUARD_ADVISOR_ENABLED}.
     * The advisor is enabled when {@code LOCALAI_URL} is set, unless {@code ROLLGUARD_ADVISOR_ENABLED=false}.
     */
    public static AdvisorConfig fromEnv(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        String url = blankToNull(env.get(ENV_URL));
        String enabledFlag = blankToNull(env.get(ENV_ENABLED));
        boolean enabled = enabledFlag == null ? url != null : parseBoolean(ENV_ENABLED, enabledFlag);

        Builder b = builder().enabled(enabled).baseUrl(url).model(env.get(ENV_MODEL)).apiKey(apiKeyFrom(env));
        String connect = blankToNull(env.get(ENV_CONNECT_TIMEOUT));
        if (connect != null) {
            b.connectTimeout(parseDuration(ENV_CONNECT_TIMEOUT, connect));
        }
        String request = blankToNull(env.get(ENV_REQUEST_TIMEOUT));
        if (request != null) {
            b.requestTimeout(parseDuration(ENV_REQUEST_TIMEOUT, request));
        }
        String concurrency = blankToNull(env.get(ENV_MAX_CONCURRENCY));
        if (concurrency != null) {
            try {
                b.maxConcurrency(Integer.parseInt(concurrency));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(ENV_MAX_CONCURRENCY + " is not an integer: " + concurrency);
            }
        }
        String grammar = blankToNull(env.get(ENV_GRAMMAR));
        if (grammar != null) {
            b.localAiGrammar(parseBoolean(ENV_GRAMMAR, grammar));
        }
        return b.build();
    }

    /** True when a bearer token will be sent. */
    public boolean hasApiKey() {
        return apiKey != null;
    }

    @Override
    public String toString() {
        return "AdvisorConfig[enabled=" + enabled
                + ", baseUrl=" + baseUrl
                + ", model=" + model
                + ", apiKey=" + (apiKey == null ? "<none>" : "<redacted>")
                + ", connectTimeout=" + connectTimeout
                + ", requestTimeout=" + requestTimeout
                + ", maxConcurrency=" + maxConcurrency
                + ", failureThreshold=" + failureThreshold
                + ", openDuration=" + openDuration
                + ", maxTokens=" + maxTokens
                + ", temperature=" + temperature
                + ", maxExplanationChars=" + maxExplanationChars
                + ", localAiGrammar=" + localAiGrammar + "]";
    }

    private static String apiKeyFrom(Map<String, String> env) {
        String key = blankToNull(env.get(ENV_API_KEY));
        String file = blankToNull(env.get(ENV_API_KEY_FILE));
        if (key != null && file != null) {
            throw new IllegalArgumentException("set " + ENV_API_KEY + " or " + ENV_API_KEY_FILE + ", not both");
        }
        if (file == null) {
            return key;
        }
        try {
            return blankToNull(Files.readString(Path.of(file)));
        } catch (IOException | RuntimeException e) {
            // The path is safe to report; the file's contents are never echoed.
            throw new IllegalArgumentException(ENV_API_KEY_FILE + " cannot be read: " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static Duration parseDuration(String name, String value) {
        try {
            if (value.chars().allMatch(Character::isDigit)) {
                return Duration.ofSeconds(Long.parseLong(value));
            }
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " is neither seconds nor an ISO-8601 duration: " + value);
        }
    }

    private static boolean parseBoolean(String name, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException(name + " is not a boolean: " + value);
        };
    }

    private static String normalizeBaseUrl(String url) {
        String u = url;
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        // OpenAI-style base URLs often include /v1; the client adds it itself.
        if (u.endsWith("/v1")) {
            u = u.substring(0, u.length() - 3);
        }
        return u;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static void requirePositive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    private static void requireRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", was " + value);
        }
    }

    /** Mutable builder starting from the defaults. */
    public static final class Builder {
        private boolean enabled = DEFAULT_ENABLED;
        private String baseUrl = DEFAULT_BASE_URL;
        private String model = "";
        private String apiKey;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxConcurrency = DEFAULT_MAX_CONCURRENCY;
        private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
        private Duration openDuration = DEFAULT_OPEN_DURATION;
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private double temperature = DEFAULT_TEMPERATURE;
        private int maxExplanationChars = DEFAULT_MAX_EXPLANATION_CHARS;
        private boolean localAiGrammar = DEFAULT_LOCALAI_GRAMMAR;

        private Builder() {
        }

        public Builder enabled(boolean v) { this.enabled = v; return this; }
        public Builder baseUrl(String v) { this.baseUrl = v; return this; }
        public Builder model(String v) { this.model = v; return this; }
        public Builder apiKey(String v) { this.apiKey = v; return this; }
        public Builder connectTimeout(Duration v) { this.connectTimeout = v; return this; }
        public Builder requestTimeout(Duration v) { this.requestTimeout = v; return this; }
        public Builder maxConcurrency(int v) { this.maxConcurrency = v; return this; }
        public Builder failureThreshold(int v) { this.failureThreshold = v; return this; }
        public Builder openDuration(Duration v) { this.openDuration = v; return this; }
        public Builder maxTokens(int v) { this.maxTokens = v; return this; }
        public Builder temperature(double v) { this.temperature = v; return this; }
        public Builder maxExplanationChars(int v) { this.maxExplanationChars = v; return this; }
        public Builder localAiGrammar(boolean v) { this.localAiGrammar = v; return this; }

        public AdvisorConfig build() {
            return new AdvisorConfig(enabled, baseUrl, model, apiKey, connectTimeout, requestTimeout, maxConcurrency,
                    failureThreshold, openDuration, maxTokens, temperature, maxExplanationChars, localAiGrammar);
        }
    }
}
