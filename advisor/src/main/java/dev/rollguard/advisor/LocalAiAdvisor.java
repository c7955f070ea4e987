package dev.rollguard.advisor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.advisor.AdviceResult.Answered;
import dev.rollguard.advisor.AdviceResult.Failed;
import dev.rollguard.advisor.AdviceResult.FailureKind;
import dev.rollguard.advisor.AdviceResult.RawSuggestion;
import dev.rollguard.advisor.AnswerParser.Invalid;
import dev.rollguard.advisor.AnswerParser.Parsed;
import dev.rollguard.advisor.AnswerParser.Valid;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Advisor} for OpenAI-compatible chat completion servers: LocalAI first, Ollama and vLLM too.
 *
 * <p>At most {@code maxConcurrency} calls are in flight, on the advisor's own threads; one more fails fast as
 * {@link FailureKind#BUSY} instead of queueing. Each call is bounded by {@code requestTimeout}, and a circuit breaker
 * stops calling a server that keeps failing. The API key is sent only as a bearer header and is redacted from every
 * reason and log line.
 */
public final class LocalAiAdvisor implements Advisor {

    private static final Logger log = LoggerFactory.getLogger(LocalAiAdvisor.class);
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    /** A response larger than this is not a rollout answer; refusing it protects the heap. */
    static final long MAX_RESPONSE_BYTES = 1L << 20;
    /** {@code /v1/models} is cheap; the startup check should not wait as long as a generation would. */
    private static final Duration MODEL_CHECK_TIMEOUT = Duration.ofSeconds(15);
    private static final String REDACTED = "<redacted>";

    private final AdvisorConfig config;
    private final OkHttpClient http;
    private final boolean ownsHttp;
    private final ObjectMapper mapper;
    private final AdvicePrompt prompt;
    private final AnswerParser parser;
    private final CircuitBreaker breaker;
    private final Semaphore permits;
    private final ThreadPoolExecutor executor;
    private final HttpUrl completionsUrl;
    private final HttpUrl modelsUrl;
    private volatile boolean closed;

    /** An advisor with its own OkHttp client and the system clock. */
    public LocalAiAdvisor(AdvisorConfig config) {
        this(config, null, Clock.systemUTC());
    }

    /**
     * @param http  a shared client to derive from (its pool and dispatcher are reused, its timeouts replaced by the
     *              config's), or null to create one that {@link #close()} shuts down
     * @param clock drives the circuit breaker; tests pass a clock they can advance
     */
    public LocalAiAdvisor(AdvisorConfig config, OkHttpClient http, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
        this.ownsHttp = http == null;
        OkHttpClient base = http == null ? new OkHttpClient() : http;
        // Read and write timeouts follow the request timeout: OkHttp's 10 s default would cut slow CPU generation.
        this.http = base.newBuilder()
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.requestTimeout())
                .writeTimeout(config.requestTimeout())
                .callTimeout(config.requestTimeout())
                .build();
        this.mapper = new ObjectMapper();
        this.prompt = new AdvicePrompt(mapper);
        this.parser = new AnswerParser(mapper, config.maxExplanationChars());
        this.breaker = new CircuitBreaker(config.failureThreshold(), config.openDuration(), clock);
        this.permits = new Semaphore(config.maxConcurrency());
        // The semaphore bounds the work; the queue only absorbs the moment between a permit's release and its thread's return.
        this.executor = new ThreadPoolExecutor(config.maxConcurrency(), config.maxConcurrency(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.maxConcurrency()), new DaemonThreads());
        this.executor.allowCoreThreadTimeOut(true);
        HttpUrl root = Objects.requireNonNull(HttpUrl.parse(config.baseUrl()), "baseUrl");
        this.completionsUrl = root.newBuilder().addPathSegments("v1/chat/completions").build();
        this.modelsUrl = root.newBuilder().addPathSegments("v1/models").build();
    }

    public AdvisorConfig config() {
        return config;
    }

    public CircuitBreaker.State circuitState() {
        return breaker.state();
    }

    /** Calls in flight now (for a gauge). */
    public int inFlight() {
        return config.maxConcurrency() - permits.availablePermits();
    }

    @Override
    public CompletableFuture<AdviceResult> advise(AdviceRequest request) {
        Objects.requireNonNull(request, "request");
        if (!config.enabled()) {
            return CompletableFuture.completedFuture(
                    failed("advisor disabled", FailureKind.DISABLED, 0, null));
        }
        if (closed) {
            return CompletableFuture.completedFuture(
                    failed("advisor closed", FailureKind.INTERNAL, 0, null));
        }
        if (!permits.tryAcquire()) {
            log.atDebug().addKeyValue("flag", logSafe(request.flag()))
                    .addKeyValue("maxConcurrency", config.maxConcurrency()).log("advisor busy: call refused");
            return CompletableFuture.completedFuture(failed(
                    "advisor busy: " + config.maxConcurrency() + " call(s) already in flight (maxConcurrency)",
                    FailureKind.BUSY, 0, null));
        }
        if (!breaker.tryAcquire()) {
            permits.release();
            long retryInS = (breaker.retryAfter().toMillis() + 999) / 1000;
            log.atDebug().addKeyValue("flag", logSafe(request.flag())).log("advisor circuit open: call refused");
            return CompletableFuture.completedFuture(failed(
                    "circuit open after " + breaker.consecutiveFailures() + " consecutive failures; next probe in "
                            + retryInS + " s", FailureKind.CIRCUIT_OPEN, 0, null));
        }
        Task task = new Task(request);
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.abandon(closed ? "advisor closed" : "advisor busy: executor refused the call");
        }
        return task.future;
    }

    @Override
    public ModelCheck checkModel() {
        String model = config.model();
        if (!config.enabled()) {
            log.info("advisor disabled: decisions are made by the rules alone");
            return new ModelCheck(ModelCheck.Status.DISABLED, model, "advisor disabled", List.of());
        }
        Call call = http.newCall(authorized(new Request.Builder().url(modelsUrl).get()).build());
        call.timeout().timeout(Math.min(MODEL_CHECK_TIMEOUT.toMillis(), config.requestTimeout().toMillis()),
                TimeUnit.MILLISECONDS);
        ModelCheck check;
        try (Response response = call.execute()) {
            String body = readLimited(response.body());
            check = modelCheckOf(response.code(), body, model);
        } catch (IOException e) {
            check = new ModelCheck(ModelCheck.Status.UNREACHABLE, model,
                    redact("advisor server unreachable at " + modelsUrl + ": " + describe(e)
                            + "; decisions fall back to the rules until it answers"), List.of());
        } catch (RuntimeException e) {
            check = new ModelCheck(ModelCheck.Status.ERROR, model,
                    redact("model check failed: " + describe(e)), List.of());
        }
        if (check.ok()) {
            log.atInfo().addKeyValue("baseUrl", config.baseUrl()).addKeyValue("model", model).log(logSafe(check.message(), 1000));
        } else {
            log.atWarn().addKeyValue("baseUrl", config.baseUrl()).addKeyValue("model", model)
                    .addKeyValue("status", check.status()).log(logSafe(check.message(), 1000));
        }
        return check;
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
                for (Runnable r : executor.shutdownNow()) {
                    if (r instanceof Task t) {
                        t.abandon("advisor closed");
                    }
                }
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (ownsHttp) {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }

    /** The JSON body of the chat completion request (package-private for tests). */
    String requestBody(AdviceRequest request) {
        ObjectNode body = mapper.createObjectNode();
        body.put("model", config.model());
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", prompt.systemPrompt(request));
        messages.addObject().put("role", "user").put("content", prompt.userMessage(request));
        body.put("temperature", config.temperature());
        body.put("max_tokens", config.maxTokens());
        body.put("stream", false);
        body.set("response_format", prompt.responseFormat(request, config.maxExplanationChars()));
        if (config.localAiGrammar()) {
            body.put("grammar", prompt.localAiGrammar(request));
        }
        try {
            return mapper.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize the advice request", e);
        }
    }

    private AdviceResult call(AdviceRequest request) {
        long start = System.nanoTime();
        Request httpRequest = authorized(new Request.Builder()
                .url(completionsUrl)
                .header("Accept", "application/json")
                .post(RequestBody.create(requestBody(request), JSON)))
                .build();
        try (Response response = http.newCall(httpRequest).execute()) {
            String body = readLimited(response.body());
            long latency = millisSince(start);
            if (body == null) {
                return failed("response larger than " + MAX_RESPONSE_BYTES + " bytes", FailureKind.HTTP_ERROR, latency, null);
            }
            if (!response.isSuccessful()) {
                return httpFailure(response.code(), body, latency);
            }
            Parsed parsed = parser.parseCompletion(body);
            if (parsed instanceof Valid v) {
                return new Answered(v.action(), v.percent(), v.confidence(), redact(v.explanation()), config.model(),
                        latency, v.adjustments());
            }
            Invalid inv = (Invalid) parsed;
            return failed(inv.reason(), inv.kind(), latency, inv.raw());
        } catch (InterruptedIOException e) {
            return failed("timed out after " + millisSince(start) + " ms (connectTimeout " + config.connectTimeout()
                    + ", requestTimeout " + config.requestTimeout() + ")", FailureKind.TIMEOUT, millisSince(start), null);
        } catch (IOException e) {
            return failed("cannot reach " + completionsUrl + ": " + describe(e), FailureKind.UNREACHABLE,
                    millisSince(start), null);
        }
    }

    private AdviceResult httpFailure(int code, String body, long latency) {
        String serverMessage = errorMessageOf(body);
        String suffix = serverMessage.isEmpty() ? "" : ": " + serverMessage;
        if (code == 401 || code == 403) {
            String hint = config.hasApiKey() ? "unauthorized (check the API key)"
                    : "unauthorized (no API key configured; set " + AdvisorConfig.ENV_API_KEY + " or "
                    + AdvisorConfig.ENV_API_KEY_FILE + ")";
            return failed(hint + ": HTTP " + code + suffix, FailureKind.UNAUTHORIZED, latency, null);
        }
        return failed("HTTP " + code + " from " + completionsUrl + suffix, FailureKind.HTTP_ERROR, latency, null);
    }

    /** LocalAI and OpenAI: {"error":{"code":..,"message":..}}; some servers: {"error":"..."}; else a body excerpt. */
    private String errorMessageOf(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            JsonNode root = mapper.readTree(body);
            JsonNode error = root == null ? null : root.get("error");
            if (error != null && error.isObject()) {
                String message = error.path("message").asText("");
                JsonNode code = error.get("code");
                String codeText = code == null || code.isNull() ? "" : " (code " + code.asText() + ")";
                return AnswerParser.abbreviate(message + codeText, 300).strip();
            }
            if (error != null && error.isTextual()) {
                return AnswerParser.abbreviate(error.asText(), 300);
            }
            if (root != null && root.path("message").isTextual()) {
                return AnswerParser.abbreviate(root.path("message").asText(), 300);
            }
        } catch (JsonProcessingException e) {
            // Not JSON: an excerpt of the text is the best description.
        }
        return AnswerParser.abbreviate(body.strip(), 200);
    }

    private ModelCheck modelCheckOf(int code, String body, String model) {
        if (code == 401 || code == 403) {
            return new ModelCheck(ModelCheck.Status.UNAUTHORIZED, model, redact("advisor server at " + config.baseUrl()
                    + " refused " + (config.hasApiKey() ? "the API key" : "the request without an API key")
                    + " (HTTP " + code + "); the advisor will fail until this is fixed"), List.of());
        }
        if (code < 200 || code > 299 || body == null) {
            return new ModelCheck(ModelCheck.Status.ERROR, model, redact("advisor server at " + config.baseUrl()
                    + " answered HTTP " + code + " to GET /v1/models: " + errorMessageOf(body)), List.of());
        }
        List<String> ids = new ArrayList<>();
        try {
            JsonNode data = mapper.readTree(body).path("data");
            if (!data.isArray()) {
                return new ModelCheck(ModelCheck.Status.ERROR, model,
                        "GET /v1/models answered without a data array; is " + config.baseUrl()
                                + " an OpenAI-compatible server?", List.of());
            }
            data.forEach(m -> {
                if (m.path("id").isTextual()) {
                    ids.add(m.path("id").asText());
                }
            });
        } catch (JsonProcessingException e) {
            return new ModelCheck(ModelCheck.Status.ERROR, model, "GET /v1/models answered with a body that is not JSON",
                    List.of());
        }
        // Ollama lists "name:latest" and accepts "name".
        boolean present = ids.contains(model) || ids.contains(model + ":latest");
        if (present) {
            return new ModelCheck(ModelCheck.Status.AVAILABLE, model, "advisor model available", ids);
        }
        return new ModelCheck(ModelCheck.Status.MISSING, model, redact("advisor model '" + model
                + "' is not served by " + config.baseUrl() + " (it serves " + AnswerParser.abbreviate(ids.toString(), 500)
                + "); advice will fail and decisions fall back to the rules until the model is installed"), ids);
    }

    private Request.Builder authorized(Request.Builder builder) {
        if (config.hasApiKey()) {
            builder.header("Authorization", "Bearer " + config.apiKey());
        }
        return builder;
    }

    /** Every reason leaves through here, so a server echoing the key cannot leak it into logs or the audit trail. */
    private Failed failed(String reason, FailureKind kind, long latencyMs, RawSuggestion raw) {
        RawSuggestion safeRaw = raw == null ? null : new RawSuggestion(redact(raw.action()), raw.percent(),
                raw.confidence(), redact(raw.explanation()), redact(raw.content()));
        return new Failed(redact(reason), kind, config.model(), latencyMs, safeRaw);
    }

    private String redact(String s) {
        if (s == null || !config.hasApiKey()) {
            return s;
        }
        return s.replace(config.apiKey(), REDACTED);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + AnswerParser.abbreviate(e.getMessage(), 200);
    }

    /** Reads at most MAX_RESPONSE_BYTES; null when the body is larger. */
    private static String readLimited(ResponseBody body) throws IOException {
        BufferedSource source = body.source();
        if (source.request(MAX_RESPONSE_BYTES + 1)) {
            return null;
        }
        return source.getBuffer().readString(StandardCharsets.UTF_8);
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Flag names are untrusted: no control characters (forged log lines) and a bounded length in logs. */
    static String logSafe(String s) {
        return logSafe(s, 120);
    }

    static String logSafe(String s, int max) {
        String cleaned = s.codePoints()
                .map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
        return AnswerParser.abbreviate(cleaned, max);
    }

    private void logOutcome(AdviceRequest request, AdviceResult result) {
        if (result instanceof Answered a) {
            log.atInfo().addKeyValue("flag", logSafe(request.flag()))
                    .addKeyValue("environment", logSafe(request.environment()))
                    .addKeyValue("action", a.action()).addKeyValue("percent", a.percent())
                    .addKeyValue("confidence", a.confidence()).addKeyValue("latencyMs", a.latencyMs())
                    .log("advisor answered");
        } else if (result instanceof Failed f) {
            log.atWarn().addKeyValue("flag", logSafe(request.flag()))
                    .addKeyValue("environment", logSafe(request.environment()))
                    .addKeyValue("kind", f.kind()).addKeyValue("latencyMs", f.latencyMs())
                    .log("advisor failed: {}", logSafe(f.reason(), 600));
        }
    }

    /** One call: owns a permit and a breaker slot until it reports its outcome. */
    private final class Task implements Runnable {
        private final AdviceRequest request;
        private final CompletableFuture<AdviceResult> future = new CompletableFuture<>();

        Task(AdviceRequest request) {
            this.request = request;
        }

        @Override
        public void run() {
            AdviceResult result;
            try {
                result = call(request);
            } catch (RuntimeException | Error e) {
                result = failed("advisor error: " + describe(e instanceof Exception ex ? ex : new RuntimeException(e)),
                        FailureKind.INTERNAL, 0, null);
                log.error("advisor call failed unexpectedly", e);
            }
            try {
                logOutcome(request, result);
                if (result instanceof Failed f && f.kind().countsAsCallFailure()) {
                    breaker.onFailure();
                } else {
                    breaker.onSuccess();
                }
            } finally {
                permits.release();
                future.complete(result);
            }
        }

        void abandon(String reason) {
            breaker.cancel();
            permits.release();
            future.complete(failed(reason, FailureKind.INTERNAL, 0, null));
        }
    }

    private static final class DaemonThreads implements ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "rollguard-advisor-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
