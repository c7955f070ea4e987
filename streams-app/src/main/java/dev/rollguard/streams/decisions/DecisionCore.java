package dev.rollguard.streams.decisions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.advisor.AdviceRequest;
import dev.rollguard.advisor.AdviceRequest.RulesRecommendation;
import dev.rollguard.advisor.AdviceResult;
import dev.rollguard.advisor.AdviceResult.Failed;
import dev.rollguard.advisor.AdviceResult.FailureKind;
import dev.rollguard.advisor.Advisor;
import dev.rollguard.advisor.LocalAiAdvisor;
import dev.rollguard.avro.Action;
import dev.rollguard.avro.Advice;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.judge.Finding;
import dev.rollguard.judge.RolloutPlan;
import dev.rollguard.judge.RolloutPolicy;
import dev.rollguard.judge.StepTiming;
import dev.rollguard.judge.Verdict;
import dev.rollguard.judge.WindowStatsMerger;
import java.time.Clock;
import org.apache.avro.util.ClassSecurityValidator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The decision stage without Kafka: one closed window, the flag's state and its step progress in; the decision and
 * the new progress out. Deterministic for given inputs, clock and advisor answers (the decisionId depends on the
 * inputs only). {@link DecisionTopology} runs it per record; {@code rollguard simulate} runs it through
 * {@link SynchronousDecisions}.
 *
 * <p>Step progress: the cumulative statistics restart when the rollout percent changes step (FlagState's percent, or,
 * for a flag with no known state, the plan step nearest the observed split). A window that began before the change
 * (FlagState.lastChangedAt) mixes two percents: it is judged but not counted as evidence for the new step.
 *
 * <p>Historical baseline: when the step changes, the control arm of the step that ends (its cumulative statistics)
 * becomes the flag's baseline if it had data; otherwise the previous baseline is kept. At 100% there is no live
 * control arm, and the judge compares treatment with this baseline instead (see {@code Judge}).
 */
public final class DecisionCore {
  /** Below this much remaining wait, the advisor is not asked at all (a call could not finish). */
  public static final Duration MIN_USEFUL_WAIT = Duration.ofMillis(100);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    // Avro 1.12 refuses to copy specific records of untrusted classes (the merger copies windows); simulate builds no
    // AvroSerde, whose constructor would otherwise trust them (the schemas module's AvroTrust is package-private).
    ClassSecurityValidator.Builder contract = ClassSecurityValidator.builder();
    for (Class<?> c : new Class<?>[] {FlagWindowStats.class, VariantStats.class, FlagState.class,
        RolloutDecision.class, dev.rollguard.avro.Finding.class, Advice.class, Action.class, DecidedBy.class,
        Mode.class}) {
      contract.add(c);
    }
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), contract.build()));
  }

  private final RolloutPolicy policy;
  private final Advisor advisor;
  private final String model;
  private final Duration callTimeout;
  private final AdvisorWaitBudget budget;
  private final Clock clock;

  /**
   * @param advisor the advisor, or null (or a disabled {@link LocalAiAdvisor}) for rules only
   * @param callTimeout how long one decision waits for the advisor; the call itself may go on in the background,
   *     holding one of the advisor's concurrency permits
   * @param budget bounds the total waiting per thread (the stream thread), or null for none (simulate)
   * @param clock stamps {@code createdAt}
   */
  public DecisionCore(RolloutPolicy policy, Advisor advisor, Duration callTimeout, AdvisorWaitBudget budget,
                      Clock clock) {
    this.policy = Objects.requireNonNull(policy, "policy");
    boolean off = advisor == null || advisor instanceof LocalAiAdvisor l && !l.config().enabled();
    this.advisor = off ? null : advisor;
    this.model = advisor instanceof LocalAiAdvisor l && l.config().model() != null ? l.config().model() : "advisor";
    this.callTimeout = Objects.requireNonNull(callTimeout, "callTimeout");
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("callTimeout must be > 0, got " + callTimeout);
    }
    this.budget = budget;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The rules alone. */
  public static DecisionCore rulesOnly(RolloutPolicy policy, Clock clock) {
    return new DecisionCore(policy, null, Duration.ofSeconds(1), null, clock);
  }

  public boolean advisorEnabled() {
    return advisor != null;
  }

  /**
   * What happened to one window.
   *
   * @param decision the decision, or null when the window was ignored
   * @param progress the flag's progress after this window (unchanged when ignored)
   * @param verdict the judge's verdict (null when ignored)
   * @param fallbackKind why the rules decided instead of the LLM (see {@link Combiner.Combined#fallbackKind()})
   * @param ignoredReason why the window was not decided (null when decided)
   */
  public record Result(RolloutDecision decision, StepProgress progress, Verdict verdict, String fallbackKind,
                       String ignoredReason) {
    public boolean decided() {
      return decision != null;
    }
  }

  /**
   * Decides one closed window. Waits for the advisor at most the call timeout (less when the wait budget runs low).
   *
   * @param state the flag's state, or null when unknown (ADVISORY, percent inferred)
   * @param progress the flag's progress so far, or null for a flag never seen
   */
  public Result decide(FlagWindowStats window, FlagState state, StepProgress progress) {
    Objects.requireNonNull(window, "window");
    StepProgress before = progress != null ? progress : StepProgress.initial();
    if (before.alreadyDecided(window.getWindowEnd())) {
      return new Result(null, before, null, null, "window ending " + window.getWindowEnd()
          + " already decided (last decided window ends " + before.lastDecidedWindowEnd() + ")");
    }
    StepProgress after = advance(window, state, before);
    Verdict verdict = policy.judge(window, after.cumulative(), state,
        new StepTiming(after.windowsAtStep(), after.windowsSinceLastChange()), after.baseline());
    AdviceResult advice = advisor == null ? null : ask(request(verdict, after.cumulative() != null
        ? after.cumulative() : window, after));
    Combiner.Combined combined = Combiner.combine(verdict, advice);
    RolloutDecision decision = RolloutDecision.newBuilder()
        .setDecisionId(verdict.decisionId())
        .setFlag(window.getFlag())
        .setEnvironment(window.getEnvironment())
        .setWindowStart(window.getWindowStart())
        .setWindowEnd(window.getWindowEnd())
        .setAction(combined.action())
        .setFromPercent(verdict.fromPercent())
        .setToPercent(combined.toPercent())
        .setReason(combined.reason())
        .setConfidence(combined.confidence())
        .setDecidedBy(combined.decidedBy())
        .setFindings(verdict.avroFindings())
        .setAdvice(combined.advice())
        .setMode(verdict.mode())
        .setCreatedAt(clock.instant().truncatedTo(ChronoUnit.MILLIS))
        .build();
    return new Result(decision, after, verdict, combined.fallbackKind(), null);
  }

  /** The progress after counting {@code window}: step reset, window counts, and the state seen. */
  StepProgress advance(FlagWindowStats window, FlagState state, StepProgress before) {
    RolloutPlan plan = policy.planFor(window.getFlag(), window.getEnvironment());
    Integer statePercent = state != null ? state.getRolloutPercent() : null;
    boolean known = statePercent != null;
    int step = known ? clampPercent(statePercent) : inferredStep(window, plan, before.stepPercent());
    Long eventId = state != null ? state.getLastEventId() : null;
    Boolean enabled = state != null ? state.getEnabled() : null;
    boolean firstWindow = before.stepPercent() == null;
    boolean stepChanged = firstWindow || before.stepPercent() != step;
    boolean stateChanged = !firstWindow && (!Objects.equals(before.lastStatePercent(), statePercent)
        || !Objects.equals(before.lastStateEnabled(), enabled)
        || eventId != null && before.lastStateEventId() != null && !eventId.equals(before.lastStateEventId()));

    FlagWindowStats cumulative;
    int atStep;
    FlagWindowStats baseline = before.baseline();
    if (stepChanged) {
      FlagWindowStats endedControl = controlArm(before.cumulative());
      baseline = endedControl != null ? endedControl : baseline;
      Instant changedAt = state != null ? state.getLastChangedAt() : null;
      // The window began before the change: part of its traffic saw the old percent, so it is no evidence for the new.
      boolean mixed = !firstWindow && changedAt != null && window.getWindowStart().isBefore(changedAt);
      cumulative = mixed ? null : WindowStatsMerger.merge(null, window);
      atStep = mixed ? 0 : 1;
    } else {
      cumulative = WindowStatsMerger.merge(before.cumulative(), window);
      atStep = saturatedIncrement(before.windowsAtStep());
    }
    int sinceChange = stepChanged || stateChanged ? 1 : saturatedIncrement(before.windowsSinceLastChange());
    return new StepProgress(cumulative, step, known, atStep, sinceChange, statePercent, eventId, enabled,
        window.getWindowEnd(), baseline);
  }

  /**
   * The control arm of a step's cumulative statistics, alone, over the step's window range: a historical baseline.
   * Null when there is none or it saw no traffic.
   */
  static FlagWindowStats controlArm(FlagWindowStats stepStats) {
    VariantStats control = stepStats != null ? stepStats.getVariants().get(stepStats.getControlVariant()) : null;
    if (control == null
        || control.getRequests() == 0 && control.getImpressions() == 0 && control.getUniqueUsers() == 0) {
      return null;
    }
    return FlagWindowStats.newBuilder()
        .setFlag(stepStats.getFlag())
        .setEnvironment(stepStats.getEnvironment())
        .setWindowStart(stepStats.getWindowStart())
        .setWindowEnd(stepStats.getWindowEnd())
        .setControlVariant(stepStats.getControlVariant())
        .setVariants(Map.of(stepStats.getControlVariant(), control))
        .build();
  }

  /**
   * For a flag with no known percent: the plan step (or 0 or 100) nearest the treatment share of the window's
   * users (impressions, or requests, when users are not counted); the previous step when the window is empty.
   */
  static int inferredStep(FlagWindowStats window, RolloutPlan plan, Integer previous) {
    double treatment = 0;
    double total = 0;
    String unit = unit(window);
    for (Map.Entry<String, VariantStats> e : window.getVariants().entrySet()) {
      double n = switch (unit) {
        case "users" -> e.getValue().getUniqueUsers();
        case "impressions" -> e.getValue().getImpressions();
        default -> e.getValue().getRequests();
      };
      total += n;
      if (!e.getKey().equals(window.getControlVariant())) {
        treatment += n;
      }
    }
    if (total <= 0) {
      return previous != null ? previous : 0;
    }
    double percent = 100 * treatment / total;
    List<Integer> candidates = new ArrayList<>(plan.steps());
    candidates.add(0);
    candidates.add(100);
    int best = 0;
    double bestDistance = Double.MAX_VALUE;
    for (int c : candidates) {
      double d = Math.abs(c - percent);
      if (d < bestDistance || d == bestDistance && c < best) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }

  private static String unit(FlagWindowStats window) {
    long users = 0;
    long impressions = 0;
    for (VariantStats v : window.getVariants().values()) {
      users += v.getUniqueUsers();
      impressions += v.getImpressions();
    }
    return users > 0 ? "users" : impressions > 0 ? "impressions" : "requests";
  }

  /** What the advisor is asked: the verdict's bounds, its findings and the step's statistics, all as data. */
  static AdviceRequest request(Verdict verdict, FlagWindowStats stats, StepProgress progress) {
    ArrayNode findings = MAPPER.createArrayNode();
    for (Finding f : verdict.findings()) {
      ObjectNode n = findings.addObject();
      n.put("metric", f.metric()).put("variant", f.variant()).put("verdict", f.verdict().name());
      putFinite(n, "observed", f.observed());
      putFinite(n, "baseline", f.baseline());
      putFinite(n, "threshold", f.threshold());
      putFinite(n, "pValue", f.pValue());
      n.put("detail", f.detail());
    }
    ObjectNode statistics = MAPPER.createObjectNode();
    statistics.put("since", stats.getWindowStart().toString()).put("until", stats.getWindowEnd().toString())
        .put("windowsAtStep", progress.windowsAtStep()).put("controlVariant", stats.getControlVariant())
        .put("percentInferred", verdict.percentInferred()).put("mode", verdict.mode().name());
    ObjectNode variants = statistics.putObject("variants");
    stats.getVariants().forEach((name, v) -> {
      ObjectNode n = variants.putObject(name);
      n.put("users", v.getUniqueUsers()).put("requests", v.getRequests()).put("errors", v.getErrors())
          .put("errorRate", v.getErrorRate()).put("convertingUsers", v.getConvertingUsers())
          .put("conversionRate", v.getConversionRate());
      putFinite(n, "latencyP50Ms", v.getLatencyP50Ms());
      putFinite(n, "latencyP99Ms", v.getLatencyP99Ms());
    });
    Integer next = verdict.nextStepPercent() > verdict.fromPercent() ? verdict.nextStepPercent() : null;
    return new AdviceRequest(verdict.flag(), verdict.environment(), verdict.fromPercent(), next,
        verdict.allowedActions(), new RulesRecommendation(verdict.action(), verdict.targetPercent(), verdict.reason()),
        findings, statistics);
  }

  private AdviceResult ask(AdviceRequest request) {
    Duration wait = budget != null ? budget.available(callTimeout) : callTimeout;
    if (wait.compareTo(MIN_USEFUL_WAIT) < 0) {
      return new Failed("advisor wait budget exhausted (" + budget.capacity().toSeconds()
          + " s per stream thread, refilled at half the wall-clock rate): not asked", FailureKind.BUSY, model, 0, null);
    }
    long start = System.nanoTime();
    CompletableFuture<AdviceResult> future = advisor.advise(request);
    try {
      return future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return new Failed("no answer within " + wait.toMillis() + " ms (the decision's call timeout)",
          FailureKind.TIMEOUT, model, elapsedMs(start), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Failed("interrupted while waiting for the advisor", FailureKind.INTERNAL, model, elapsedMs(start),
          null);
    } catch (ExecutionException e) {
      // The Advisor contract says this never happens; the rules still decide if it does.
      return new Failed("advisor failed unexpectedly: " + e.getCause().getClass().getSimpleName(),
          FailureKind.INTERNAL, model, elapsedMs(start), null);
    } finally {
      if (budget != null) {
        budget.spent(Duration.ofNanos(System.nanoTime() - start));
      }
    }
  }

  private static long elapsedMs(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  private static void putFinite(ObjectNode n, String field, Double value) {
    if (value != null && Double.isFinite(value)) {
      n.put(field, value);
    }
  }

  private static int clampPercent(int p) {
    return Math.max(0, Math.min(100, p));
  }

  private static int saturatedIncrement(int n) {
    return n == Integer.MAX_VALUE ? n : n + 1;
  }
}
