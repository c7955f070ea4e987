package dev.rollguard.demo;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's application traffic: each window, {@code usersPerWindow} users drawn from a population ten times that
 * size visit both routes, {@code requestsPerUser} requests on each. A user is in a flag's treatment when a sticky hash
 * of (flag, userId) mod 100 is below the flag's CURRENT rollout percent, read from Unleash (or the flag store) by
 * {@link RolloutReader}: the loop is closed through the real applier and the real flag state. Every request emits a
 * {@code FlagImpression} and a {@code RequestMetric} (Avro, schema registry wire format), spread evenly over the window.
 */
final class TrafficGenerator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrafficGenerator.class);
  static final String APP_NAME = "rollguard-demo-shop";
  /** The variant Unleash SDKs report for a flag without variants: enabled ones count as treatment, the rest control. */
  private static final String NO_VARIANT = "disabled";
  private static final long TICK_MS = 100;

  private final List<DemoFlag> flags;
  private final String environment;
  private final RolloutReader rollouts;
  private final long windowMs;
  private final int usersPerWindow;
  private final int requestsPerUser;
  private final String impressionsTopic;
  private final String requestMetricsTopic;
  private final Clock clock;
  private final KafkaProducer<byte[], byte[]> producer;
  private final AvroSerde<FlagImpression> impressions;
  private final AvroSerde<RequestMetric> requestMetrics;
  private final ScheduledExecutorService ticker;
  private final Random random = new Random(7);
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong sendFailures = new AtomicLong();
  private long eventSeq;

  // Ticker thread only: the window being emitted, its users and how many of them have been emitted.
  private long firstWindowStart = -1;
  private long windowStart = -1;
  private int[] windowUsers = new int[0];
  private int emitted;

  TrafficGenerator(String bootstrapServers, SchemaRegistryClient registry, String impressionsTopic,
      String requestMetricsTopic, List<DemoFlag> flags, String environment, RolloutReader rollouts,
      Duration windowSize, int usersPerWindow, int requestsPerUser, Clock clock) {
    this.flags = List.copyOf(flags);
    this.environment = environment;
    this.rollouts = rollouts;
    this.windowMs = windowSize.toMillis();
    this.usersPerWindow = usersPerWindow;
    this.requestsPerUser = requestsPerUser;
    this.impressionsTopic = impressionsTopic;
    this.requestMetricsTopic = requestMetricsTopic;
    this.clock = clock;
    this.impressions = AvroSerde.forValues(FlagImpression.class, registry);
    this.requestMetrics = AvroSerde.forValues(RequestMetric.class, registry);
    // Batching matters on 2 cores: Kafka's defaults send many tiny requests.
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024,
        ProducerConfig.CLIENT_ID_CONFIG, "rollguard-demo-traffic"),
        new ByteArraySerializer(), new ByteArraySerializer());
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "rollguard-demo-traffic"));
  }

  TrafficGenerator start() {
    ticker.scheduleAtFixedRate(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
    return this;
  }

  long eventsSent() {
    return events.get();
  }

  /** The sticky bucket 0..99 of a user for a flag (FNV-1a over "flag:userId"), as a flexibleRollout stickiness. */
  static int bucket(String flag, String userId) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (flag + ":" + userId).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return (int) Math.floorMod(h, 100L);
  }

  private void tick() {
    try {
      long now = clock.millis();
      long start = now - Math.floorMod(now, windowMs);
      if (start != windowStart) {
        if (firstWindowStart < 0) {
          firstWindowStart = start;
        }
        windowStart = start;
        windowUsers = drawUsers();
        // The first window is joined part way: its elapsed share of users is skipped, not crammed in.
        emitted = windowStart == firstWindowStart ? (int) ((now - start) * usersPerWindow / windowMs) : 0;
      }
      int due = (int) Math.min(usersPerWindow, (now - start + TICK_MS) * usersPerWindow / windowMs);
      long windowIndex = (windowStart - firstWindowStart) / windowMs;
      for (; emitted < due; emitted++) {
        emitUser("user-" + windowUsers[emitted], windowIndex, now);
      }
    } catch (RuntimeException e) {
      // A failed tick must not stop the traffic: the scheduler would cancel the task for good.
      log.warn("demo traffic tick failed: {}", e.toString());
    }
  }

  private int[] drawUsers() {
    int population = usersPerWindow * 10;
    int[] users = new int[usersPerWindow];
    for (int i = 0; i < users.length; i++) {
      users[i] = random.nextInt(population);
    }
    return users;
  }

  private void emitUser(String userId, long windowIndex, long now) {
    for (DemoFlag flag : flags) {
      boolean treatment = bucket(flag.name(), userId) < rollouts.rollout(flag.name()).effectivePercent();
      TrafficProfile profile = treatment ? flag.treatmentAt(windowIndex) : flag.control();
      int convertingRequest = random.nextDouble() < profile.conversionRate() ? random.nextInt(requestsPerUser) : -1;
      for (int r = 0; r < requestsPerUser; r++) {
        Instant at = Instant.ofEpochMilli(now);
        FlagImpression impression = FlagImpression.newBuilder()
            .setEventId(nextEventId()).setTimestamp(at).setAppName(APP_NAME).setEnvironment(environment)
            .setFeatureName(flag.name()).setEnabled(treatment).setVariant(NO_VARIANT).setUserId(userId)
            .build();
        boolean error = random.nextDouble() < profile.errorRate();
        boolean converted = r == convertingRequest && !error;
        RequestMetric metric = RequestMetric.newBuilder()
            .setEventId(nextEventId()).setTimestamp(at).setAppName(APP_NAME).setEnvironment(environment)
            .setUserId(userId).setRoute(flag.route())
            .setExposures(List.of(new Exposure(flag.name(), treatment, NO_VARIANT)))
            .setLatencyMs(Math.round(profile.latencyMs(random.nextGaussian()) * 10) / 10.0)
            .setStatusCode(error ? 500 : 200).setError(error).setConverted(converted)
            .setGoal(converted ? "conversion" : null)
            .build();
        send(impressionsTopic, now, impressions.serialize(impressionsTopic, impression));
        send(requestMetricsTopic, now, requestMetrics.serialize(requestMetricsTopic, metric));
      }
    }
  }

  private String nextEventId() {
    return runId + "-" + (eventSeq++);
  }

  private void send(String topic, long timestamp, byte[] value) {
    producer.send(new ProducerRecord<>(topic, null, timestamp, null, value), (metadata, error) -> {
      if (error == null) {
        events.incrementAndGet();
      } else if (sendFailures.getAndIncrement() == 0) {
        log.warn("demo traffic: cannot send to {}: {}", topic, error.toString());
      }
    });
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    try {
      ticker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(5));
    impressions.close();
    requestMetrics.close();
  }
}
