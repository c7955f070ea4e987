package dev.rollguard.judge;

import static dev.rollguard.judge.stats.Proportions.rate;
import static dev.rollguard.judge.stats.Proportions.regularizedVariance;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.VariantStats;
import dev.rollguard.judge.stats.AlwaysValid;
import dev.rollguard.judge.stats.DistinctCount;
import dev.rollguard.judge.stats.LatencyTail;
import dev.rollguard.judge.stats.SampleRatio;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules: statistics per treatment variant against control, then one verdict for the flag. Pure and deterministic
 * (same inputs, same verdict); no I/O, no clock, no Kafka.
 *
 * <p>Order of the rules, most severe first: paused or off → HOLD only; a kill-level breach → KILL; a significant
 * regression or the rollback guardrail → ROLLBACK; then the reasons to HOLD (sample-ratio mismatch, plan complete,
 * too little data, a no-increase guardrail, a metric worse than its margin without significance yet, no traffic in
 * the latest window, dwell, cooldown); otherwise INCREASE to the next step.
 *
 * <p><b>Historical baseline.</b> At 100% (or whenever the live control arm is absent or empty) there is nothing to
 * compare treatment with. When the caller passes a baseline, the control arm of an earlier step, each treatment is
 * tested against it with the same tests and margins for the per-request metrics (error rate, p99), so a significant
 * regression still rolls back (or kills). Such a comparison is weaker than a live control: the two periods differ in
 * time (traffic mix, time of day, other releases), so it may only ever act in the safe direction: it never INCREASEs,
 * and the findings and the reason name the baseline and its window range. Neither the split (SRM) nor conversion is
 * tested against a baseline: conversion is per user over a period, so it depends on the period's length.
 */
public final class Judge {
  /** Metrics in the ROLLBACK family per treatment variant: error rate, p99 latency, conversion. */
  static final int METRICS_PER_VARIANT = 3;
  private static final double P99 = 0.99;

  private final JudgeConfig config;

  public Judge(JudgeConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  public JudgeConfig config() {
    return config;
  }

  /**
   * Judges one flag at one window close.
   *
   * @param latest the window that just closed
   * @param cumulative the merge of every window since the current step began (null: the latest is the first)
   * @param state the flag as Unleash has it; null when unknown (ADVISORY, percent inferred from the split)
   * @param plan the flag's rollout plan
   * @param optedIn the policy's opt-in list names the flag
   * @param timing windows at this step and since the last change
   */
  public Verdict judge(FlagWindowStats latest, FlagWindowStats cumulative, FlagState state, RolloutPlan plan,
                       boolean optedIn, StepTiming timing) {
    return judge(latest, cumulative, state, plan, optedIn, timing, null);
  }

  /**
   * Judges one flag at one window close, with a historical baseline for when the live control arm is absent or
   * empty (see the class comment).
   *
   * @param baseline an earlier step's statistics whose control variant ({@code getControlVariant()}) stands in for
   *     the control arm when this step has none; null, or a baseline whose control arm is empty, for none
   */
  public Verdict judge(FlagWindowStats latest, FlagWindowStats cumulative, FlagState state, RolloutPlan plan,
                       boolean optedIn, StepTiming timing, FlagWindowStats baseline) {
    Objects.requireNonNull(latest, "latest");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(timing, "timing");
    FlagWindowStats total = cumulative != null ? cumulative : latest;
    String controlName = total.getControlVariant();
    ArmStats liveControl = ArmStats.of(total.getVariants().get(controlName));
    ArmStats baselineControl = baseline != null
        ? ArmStats.of(baseline.getVariants().get(baseline.getControlVariant())) : ArmStats.EMPTY;
    // The baseline is only ever a stand-in: a live control arm with any data always wins.
    String against = liveControl.isSilent() && !baselineControl.isSilent()
        ? "the historical baseline (control " + baseline.getControlVariant() + " over " + baseline.getWindowStart()
            + " to " + baseline.getWindowEnd() + ", an earlier step; no live control arm)"
        : null;
    ArmStats control = against != null ? baselineControl : liveControl;
    Map<String, ArmStats> treatments = new TreeMap<>();
    total.getVariants().forEach((name, stats) -> {
      if (!name.equals(controlName)) {
        treatments.put(name, ArmStats.of(stats));
      }
    });
    Map<String, VariantStats> latestVariants = latest.getVariants();

    // The split is always the live one: a baseline is no evidence of how this step's traffic is divided.
    Exposure exposure = Exposure.of(liveControl, treatments.values());
    boolean knownPercent = state != null && state.getRolloutPercent() != null;
    int current = knownPercent ? clampPercent(state.getRolloutPercent()) : exposure.inferredPercent();
    boolean enabled = state == null || state.getEnabled();
    boolean paused = state != null && state.getPaused();
    boolean managed = state != null && (state.getManaged() || optedIn);
    Mode mode = managed && knownPercent ? Mode.ENFORCE : Mode.ADVISORY;

    int tests = METRICS_PER_VARIANT * Math.max(1, treatments.size());
    double perTestAlpha = config.alpha() / tests;
    List<Finding> findings = new ArrayList<>();
    List<VariantResult> results = new ArrayList<>();
    for (Map.Entry<String, ArmStats> treatment : treatments.entrySet()) {
      ArmStats latestArm = ArmStats.of(latestVariants.get(treatment.getKey()));
      VariantResult result = judgeVariant(treatment.getKey(), treatment.getValue(), control, latestArm, tests,
          against != null);
      findings.addAll(against == null ? result.findings() : againstBaseline(result.findings(), against));
      results.add(result);
    }
    // A window that straddles a rollout change (the caller counts it as 0 windows at the step) mixes the old split
    // and the new one, so its split is no evidence of a sample-ratio mismatch.
    boolean straddlesChange = timing.windowsAtStep() == 0;
    boolean splitTestable = knownPercent && enabled && current > 0 && current < 100;
    SampleRatio.Result srm = splitTestable && !straddlesChange
        ? SampleRatio.test(exposure.treatment(), exposure.control(), current / 100.0) : null;
    boolean srmDetected = srm != null && srm.pValue() < config.srmPValue();
    if (splitTestable && straddlesChange) {
      findings.add(new Finding(Finding.SRM, Finding.ALL_VARIANTS, FindingVerdict.INCONCLUSIVE, null, current / 100.0,
          config.srmPValue(), null, "the window straddles a rollout change: its split mixes two percents, not tested"));
    } else if (splitTestable) {
      findings.add(srmFinding(srm, current, exposure));
    }

    int next = plan.nextStep(current);
    Decision decision = decide(results, srmDetected, srm, current, next, plan, timing, latestVariants, controlName,
        against);
    if (paused || !enabled || current == 0) {
      String why = paused ? "paused by a human (rollguard:paused): no automatic actions"
          : !enabled ? "the flag is off in " + latest.getEnvironment() + ": nothing to roll out or back"
          : "the rollout is at 0%: no treatment to judge; a person starts the rollout at the first step";
      String otherwise = decision.action() == Action.HOLD ? "" : " (the rules would " + decision.action() + ")";
      decision = new Decision(Action.HOLD, current, EnumSet.of(Action.HOLD), why + otherwise, 1.0);
    }

    String reason = reason(decision, current, results, exposure, state, knownPercent, mode, tests, against);
    return new Verdict(latest.getFlag(), latest.getEnvironment(), total.getWindowStart(), latest.getWindowEnd(),
        decision.action(), current, decision.target(), next, decision.allowed(), findings, reason,
        clampUnit(decision.confidence()), mode, !knownPercent, config.alpha(), tests);
  }

  // ---------------------------------------------------------------------------------------------------- decision

  private record Decision(Action action, int target, Set<Action> allowed, String why, double confidence) {}

  private Decision decide(List<VariantResult> results, boolean srmDetected, SampleRatio.Result srm, int current,
                          int next, RolloutPlan plan, StepTiming timing, Map<String, VariantStats> latestVariants,
                          String controlName, String against) {
    VariantResult kill = first(results, VariantResult::kill);
    if (kill != null) {
      return new Decision(Action.KILL, 0, EnumSet.of(Action.KILL),
          kill.variant() + " error rate " + pct(kill.errorRate()) + " is significantly above the kill level "
              + pct(config.killErrorRate()), 1 - kill.errorPValue());
    }
    VariantResult regressed = first(results, VariantResult::regression);
    VariantResult guardrail = first(results, VariantResult::rollbackGuardrail);
    if (regressed != null || guardrail != null) {
      Set<Action> allowed = EnumSet.of(Action.ROLLBACK, Action.KILL);
      if (regressed != null) {
        String vs = against != null ? " against the historical baseline" : "";
        return new Decision(Action.ROLLBACK, plan.rollbackTarget(current), allowed,
            regressed.variant() + " regressed" + vs + ": " + regressed.regressionSummary(),
            1 - regressed.smallestPValue());
      }
      return new Decision(Action.ROLLBACK, plan.rollbackTarget(current), allowed,
          guardrail.variant() + " error rate " + pct(guardrail.worstErrorRate()) + " is above the rollback guardrail "
              + pct(config.rollbackErrorRate()), 1.0);
    }

    boolean worse = results.stream().anyMatch(VariantResult::worseThanMargin);
    boolean noIncreaseGuardrail = results.stream().anyMatch(VariantResult::noIncreaseGuardrail);
    Set<Action> allowed = EnumSet.of(Action.HOLD);
    if (srmDetected || worse || noIncreaseGuardrail) {
      allowed.add(Action.ROLLBACK);
    }
    if (srmDetected) {
      return new Decision(Action.HOLD, current, allowed, String.format(Locale.ROOT,
          "sample-ratio mismatch: %s of exposures in treatment, %d%% expected (chi-square p=%s)",
          pct(srm.observedShare()), current, pValue(srm.pValue())), 1 - srm.pValue());
    }
    if (results.isEmpty()) {
      return new Decision(Action.HOLD, current, allowed, "no treatment exposures: never act on silence", 1.0);
    }
    if (plan.isComplete(current)) {
      return new Decision(Action.HOLD, current, allowed, "the plan is complete at " + current + "%", 1.0);
    }
    VariantResult small = first(results, r -> !r.enoughSample());
    if (small != null) {
      return new Decision(Action.HOLD, current, allowed, "not enough data yet for " + small.variant()
          + " (" + small.sampleSummary() + ")", 1.0);
    }
    if (noIncreaseGuardrail) {
      VariantResult g = first(results, VariantResult::noIncreaseGuardrail);
      return new Decision(Action.HOLD, current, allowed, g.variant() + " " + g.guardrailSummary(), 1.0);
    }
    if (worse) {
      VariantResult w = first(results, VariantResult::worseThanMargin);
      return new Decision(Action.HOLD, current, allowed, w.variant() + " " + w.worseSummary()
          + ", not significant yet: waiting for evidence", 0.5);
    }
    if (against != null) {
      return new Decision(Action.HOLD, current, allowed, "no live control arm: the historical baseline can prove a "
          + "regression, never that an increase is safe", 1.0);
    }
    boolean latestSilent = silent(latestVariants.get(controlName))
        || results.stream().allMatch(r -> silent(latestVariants.get(r.variant())));
    if (latestSilent) {
      return new Decision(Action.HOLD, current, allowed, "no traffic in the latest window: never increase on silence",
          1.0);
    }
    if (timing.windowsAtStep() < plan.minDwellWindows()) {
      return new Decision(Action.HOLD, current, allowed, String.format(Locale.ROOT,
          "dwell: %d of %d windows at %d%%", timing.windowsAtStep(), plan.minDwellWindows(), current), 1.0);
    }
    if (timing.windowsSinceLastChange() <= plan.cooldownWindows()) {
      return new Decision(Action.HOLD, current, allowed, String.format(Locale.ROOT,
          "cooldown: %d window(s) since the last change, increase after %d", timing.windowsSinceLastChange(),
          plan.cooldownWindows()), 1.0);
    }
    allowed.add(Action.INCREASE);
    double confidence = results.stream().mapToDouble(VariantResult::nonInferiority).min().orElse(0.5);
    return new Decision(Action.INCREASE, next, allowed, "no regression after " + timing.windowsAtStep()
        + " windows at " + current + "%", confidence);
  }

  // ---------------------------------------------------------------------------------------------------- variants

  /** Everything computed for one treatment variant against control. */
  private record VariantResult(String variant, List<Finding> findings, ArmStats arm, ArmStats control,
                               boolean enoughSample, boolean regression, boolean kill, boolean worseThanMargin,
                               boolean rollbackGuardrail, boolean noIncreaseGuardrail, double errorRate,
                               double errorPValue, double smallestPValue, double worstErrorRate,
                               double nonInferiority, String regressionSummary, String worseSummary,
                               String guardrailSummary, String sampleSummary, String metricsSummary) {}

  private VariantResult judgeVariant(String variant, ArmStats arm, ArmStats control, ArmStats latestArm, int tests,
                                     boolean historical) {
    List<Finding> findings = new ArrayList<>();
    boolean enoughRequests = arm.requests() >= config.minRequestsPerArm()
        && control.requests() >= config.minRequestsPerArm();
    boolean enoughUsers = arm.users().estimate() >= config.minUsersPerArm()
        && control.users().estimate() >= config.minUsersPerArm();
    String sampleSummary = String.format(Locale.US,
        "requests %,d/%,d, users %,d/%,d treatment/control; minimum %,d requests and %,d users per arm",
        arm.requests(), control.requests(), Math.round(arm.users().estimate()),
        Math.round(control.users().estimate()), config.minRequestsPerArm(), config.minUsersPerArm());
    findings.add(new Finding(Finding.SAMPLE_SIZE, variant,
        enoughRequests && enoughUsers ? FindingVerdict.PASS : FindingVerdict.INCONCLUSIVE,
        (double) arm.requests(), (double) control.requests(), (double) config.minRequestsPerArm(), null,
        sampleSummary));

    MetricResult error = errorRate(variant, arm, control, enoughRequests, tests);
    MetricResult latency = latencyP99(variant, arm, control, enoughRequests, tests);
    // Conversion is per user over the period: the longer the period, the more chances a returning user has to
    // convert. A live control shares the period; a baseline's period differs, so the comparison would be biased.
    MetricResult conversion = historical
        ? untested(Finding.CONVERSION, variant, nanToNull(arm.conversionRate()), nanToNull(control.conversionRate()),
            null, "not tested against a historical baseline: conversion is per user over a period, and periods of "
                + "different lengths differ in it (returning users have more chances to convert)")
        : conversion(variant, arm, control, enoughUsers, tests);
    findings.add(error.finding());
    findings.add(latency.finding());
    findings.add(conversion.finding());

    // Absolute guardrails: the worse of the step so far and the latest window, each once it has the minimum sample.
    double worstError = worst(arm.requests() >= config.minRequestsPerArm() ? arm.errorRate() : Double.NaN,
        latestArm.requests() >= config.minRequestsPerArm() ? latestArm.errorRate() : Double.NaN);
    double worstP99 = worst(arm.requests() >= config.minRequestsPerArm()
            ? LatencyTail.quantile(arm.latency(), P99) : Double.NaN,
        latestArm.requests() >= config.minRequestsPerArm() ? LatencyTail.quantile(latestArm.latency(), P99)
            : Double.NaN);
    boolean rollbackGuardrail = worstError > config.rollbackErrorRate();
    boolean errorNoIncrease = worstError > config.noIncreaseErrorRate();
    boolean latencyNoIncrease = worstP99 > config.noIncreaseP99Ms();
    findings.add(new Finding(Finding.GUARDRAIL_ERROR_RATE, variant,
        Double.isNaN(worstError) ? FindingVerdict.INCONCLUSIVE
            : errorNoIncrease ? FindingVerdict.GUARDRAIL : FindingVerdict.PASS,
        nanToNull(worstError), control.requests() > 0 ? control.errorRate() : null,
        rollbackGuardrail ? config.rollbackErrorRate() : config.noIncreaseErrorRate(), null,
        "above " + pct(config.noIncreaseErrorRate()) + ": no increase; above " + pct(config.rollbackErrorRate())
            + ": rollback (worst of the step and the latest window)"));
    findings.add(new Finding(Finding.GUARDRAIL_LATENCY_P99, variant,
        Double.isNaN(worstP99) ? FindingVerdict.INCONCLUSIVE
            : latencyNoIncrease ? FindingVerdict.GUARDRAIL : FindingVerdict.PASS,
        nanToNull(worstP99), nanToNull(LatencyTail.quantile(control.latency(), P99)), config.noIncreaseP99Ms(), null,
        "p99 above " + ms(config.noIncreaseP99Ms()) + ": no increase"));
    String guardrailSummary = errorNoIncrease
        ? "error rate " + pct(worstError) + " is above the no-increase guardrail " + pct(config.noIncreaseErrorRate())
        : "p99 " + ms(worstP99) + " is above the no-increase guardrail " + ms(config.noIncreaseP99Ms());

    List<MetricResult> metrics = List.of(error, latency, conversion);
    String regressionSummary = metrics.stream().filter(MetricResult::significant).map(MetricResult::summary)
        .reduce((a, b) -> a + "; " + b).orElse("");
    String worseSummary = metrics.stream().filter(MetricResult::worse).map(MetricResult::summary)
        .reduce((a, b) -> a + "; " + b).orElse("");
    double smallestP = metrics.stream().filter(MetricResult::significant).mapToDouble(MetricResult::pValue)
        .min().orElse(1);
    double nonInferiority = metrics.stream().filter(MetricResult::measured)
        .mapToDouble(MetricResult::nonInferiority).min().orElse(0.5);
    return new VariantResult(variant, findings, arm, control, enoughRequests && enoughUsers,
        metrics.stream().anyMatch(MetricResult::significant), error.kill(),
        metrics.stream().anyMatch(MetricResult::worse), rollbackGuardrail,
        errorNoIncrease || latencyNoIncrease, arm.errorRate(), error.pValue(), smallestP, worstError,
        nonInferiority, regressionSummary, worseSummary, guardrailSummary, sampleSummary,
        metricsSummary(arm, control, conversion.measured()));
  }

  /**
   * One metric's test. {@code significant}: worse beyond the margin at the family-wise level; {@code worse}: the
   * point estimate is beyond the margin; {@code nonInferiority}: Φ of the standardized distance to the margin.
   */
  private record MetricResult(Finding finding, boolean measured, boolean significant, boolean worse, boolean kill,
                              double pValue, double nonInferiority, String summary) {}

  /**
   * Error rate: one-sided mSPRT of H0 {@code p_t - p_c <= margin}, margin = max(absolute, relative × p_c). With no
   * control errors the relative margin is 0 and the absolute one alone applies, and the regularized variance keeps
   * "0 errors in control" from being a certainty: neither infinite lift nor a hidden jump.
   */
  private MetricResult errorRate(String variant, ArmStats arm, ArmStats control, boolean enough, int tests) {
    double pt = arm.errorRate();
    double pc = control.errorRate();
    double margin = Math.max(config.errorRateAbsoluteMargin(), config.errorRateRelativeMargin() * pc);
    double variance = regularizedVariance(arm.errors(), arm.requests())
        + regularizedVariance(control.errors(), control.requests());
    if (arm.requests() == 0 || control.requests() == 0) {
      return untested(Finding.ERROR_RATE, variant, arm.requests() > 0 ? pt : null,
          control.requests() > 0 ? pc : null, margin, "no requests in " + (arm.requests() == 0 ? "treatment" : "control"));
    }
    double difference = pt - pc;
    double raw = AlwaysValid.oneSidedPValue(difference - margin, variance, config.mixtureSd());
    double adjusted = Math.min(1, raw * tests);
    boolean significant = enough && adjusted <= config.alpha();
    boolean worse = enough && difference > margin;
    double killRaw = AlwaysValid.oneSidedPValue(pt - config.killErrorRate(),
        regularizedVariance(arm.errors(), arm.requests()), config.mixtureSd());
    boolean kill = significant && Math.min(1, killRaw * tests) <= config.alpha();
    String zeroBaseline = control.errors() == 0 ? "; control has no errors: absolute margin only" : "";
    String detail = String.format(Locale.ROOT,
        "treatment %s vs control %s, margin %s (max of %s absolute, %s relative)%s; anytime-valid p %s raw × %d tests",
        pct(pt), pct(pc), pct(margin), pct(config.errorRateAbsoluteMargin()),
        pct(config.errorRateRelativeMargin()), zeroBaseline, pValue(raw), tests);
    FindingVerdict verdict = kill ? FindingVerdict.KILL : significant ? FindingVerdict.REGRESSION
        : enough && !worse ? FindingVerdict.PASS : FindingVerdict.INCONCLUSIVE;
    String summary = String.format(Locale.ROOT, "error rate %s vs %s control (margin %s, p=%s)",
        pct(pt), pct(pc), pct(margin), pValue(adjusted));
    double z = (margin - difference) / Math.sqrt(variance);
    return new MetricResult(new Finding(Finding.ERROR_RATE, variant, verdict, pt, pc, margin, adjusted, detail),
        true, significant, worse, kill, adjusted, AlwaysValid.normalCdf(z), summary);
  }

  /**
   * p99 latency by the binomial exceedance test: the share of treatment requests above
   * {@code t = max(p99_c × (1 + relative), p99_c + absolute)} against the share of control requests above control's
   * own p99 (about 1%). Treatment's p99 exceeds t exactly when more than 1% of its requests do, so the quantile
   * comparison becomes a one-sided mSPRT on two proportions; control's share is measured, not assumed, so the
   * uncertainty of control's p99 is part of the variance.
   */
  private MetricResult latencyP99(String variant, ArmStats arm, ArmStats control, boolean enough, int tests) {
    if (arm.latency().isEmpty() || control.latency().isEmpty()) {
      return untested(Finding.LATENCY_P99, variant, nanToNull(LatencyTail.quantile(arm.latency(), P99)),
          nanToNull(LatencyTail.quantile(control.latency(), P99)), null, "no latency recorded in "
              + (arm.latency().isEmpty() ? "treatment" : "control"));
    }
    double p99c = LatencyTail.quantile(control.latency(), P99);
    double p99t = LatencyTail.quantile(arm.latency(), P99);
    double threshold = Math.max(p99c * (1 + config.latencyP99RelativeMargin()),
        p99c + config.latencyP99AbsoluteMarginMs());
    double nt = arm.latency().getCount();
    double nc = control.latency().getCount();
    double kt = LatencyTail.countAbove(arm.latency(), threshold);
    double kc = LatencyTail.countAbove(control.latency(), p99c);
    double shareT = kt / nt;
    double shareC = kc / nc;
    double variance = regularizedVariance(kt, nt) + regularizedVariance(kc, nc);
    double raw = AlwaysValid.oneSidedPValue(shareT - shareC, variance, config.mixtureSd());
    double adjusted = Math.min(1, raw * tests);
    boolean significant = enough && adjusted <= config.alpha();
    boolean worse = enough && p99t > threshold;
    String detail = String.format(Locale.ROOT,
        "%s of treatment requests above %s vs %s of control above its p99 %s; anytime-valid p %s raw × %d tests",
        pct(shareT), ms(threshold), pct(shareC), ms(p99c), pValue(raw), tests);
    FindingVerdict verdict = significant ? FindingVerdict.REGRESSION
        : enough && !worse ? FindingVerdict.PASS : FindingVerdict.INCONCLUSIVE;
    String summary = String.format(Locale.ROOT, "p99 %s vs %s control (limit %s, %s of requests above it, p=%s)",
        ms(p99t), ms(p99c), ms(threshold), pct(shareT), pValue(adjusted));
    double z = (shareC - shareT) / Math.sqrt(variance);
    return new MetricResult(new Finding(Finding.LATENCY_P99, variant, verdict, p99t, p99c, threshold, adjusted,
        detail), true, significant, worse, false, adjusted, AlwaysValid.normalCdf(z), summary);
  }

  /**
   * Conversion: converting users over exposed users, one-sided mSPRT of H0 {@code p_c - p_t <= margin}. User counts
   * come from HLL sketches, so their estimation error is added to the binomial variance. The lift is reported with
   * its anytime-valid interval at the per-test level.
   */
  private MetricResult conversion(String variant, ArmStats arm, ArmStats control, boolean enough, int tests) {
    double ut = arm.users().estimate();
    double uc = control.users().estimate();
    double pt = arm.conversionRate();
    double pc = control.conversionRate();
    double margin = Math.max(config.conversionAbsoluteMargin(), config.conversionRelativeMargin() * pc);
    if (ut == 0 || uc == 0) {
      return untested(Finding.CONVERSION, variant, ut > 0 ? pt : null, uc > 0 ? pc : null, margin,
          "no users in " + (ut == 0 ? "treatment" : "control"));
    }
    if (arm.converting().estimate() == 0 && control.converting().estimate() == 0) {
      return untested(Finding.CONVERSION, variant, pt, pc, margin, "no conversions recorded in either arm");
    }
    double sketchVariance = sketchVariance(pt, arm.converting(), arm.users())
        + sketchVariance(pc, control.converting(), control.users());
    double variance = regularizedVariance(arm.converting().estimate(), ut)
        + regularizedVariance(control.converting().estimate(), uc) + sketchVariance;
    double drop = pc - pt;
    double raw = AlwaysValid.oneSidedPValue(drop - margin, variance, config.mixtureSd());
    double adjusted = Math.min(1, raw * tests);
    boolean significant = enough && adjusted <= config.alpha();
    // The sketch error does not shrink with more data: an excess the sketches alone could explain must not hold a
    // healthy rollout forever, so "worse" needs the drop beyond the margin by more than one sketch standard error.
    boolean worse = enough && drop - margin > Math.sqrt(sketchVariance);
    double halfWidth = AlwaysValid.confidenceHalfWidth(variance, config.mixtureSd(), config.alpha() / tests);
    String lift = pc > 0
        ? String.format(Locale.ROOT, "lift %s (%s to %s, anytime-valid %.1f%% interval)", signedPct((pt - pc) / pc),
            signedPct((pt - pc - halfWidth) / pc), signedPct((pt - pc + halfWidth) / pc),
            100 * (1 - config.alpha() / tests))
        : "control has no conversions: nothing can drop";
    String detail = String.format(Locale.ROOT, "treatment %s vs control %s of users, %s, margin %s; "
        + "anytime-valid p %s raw × %d tests", pct(pt), pct(pc), lift, pct(margin), pValue(raw), tests);
    FindingVerdict verdict = significant ? FindingVerdict.REGRESSION
        : enough && !worse ? FindingVerdict.PASS : FindingVerdict.INCONCLUSIVE;
    String summary = String.format(Locale.ROOT, "conversion %s vs %s control (%s, margin %s, p=%s)", pct(pt),
        pct(pc), pc > 0 ? "lift " + signedPct((pt - pc) / pc) : "no control conversions", pct(margin),
        pValue(adjusted));
    double z = (margin - drop) / Math.sqrt(variance);
    return new MetricResult(new Finding(Finding.CONVERSION, variant, verdict, pt, pc, margin, adjusted, detail),
        true, significant, worse, false, adjusted, AlwaysValid.normalCdf(z), summary);
  }

  // Relative errors of numerator and denominator sketches, treated as independent (conservative: they correlate).
  private static double sketchVariance(double rate, DistinctCount converting, DistinctCount users) {
    return rate * rate * (Math.pow(converting.relativeError(), 2) + Math.pow(users.relativeError(), 2));
  }

  private static MetricResult untested(String metric, String variant, Double observed, Double baseline,
                                       Double threshold, String why) {
    return new MetricResult(new Finding(metric, variant, FindingVerdict.INCONCLUSIVE, observed, baseline, threshold,
        null, why), false, false, false, false, 1.0, 0.5, why);
  }

  private Finding srmFinding(SampleRatio.Result srm, int current, Exposure exposure) {
    if (srm == null) {
      return new Finding(Finding.SRM, Finding.ALL_VARIANTS, FindingVerdict.INCONCLUSIVE, null, current / 100.0,
          config.srmPValue(), null, "too few exposure units for the chi-square test");
    }
    boolean mismatch = srm.pValue() < config.srmPValue();
    return new Finding(Finding.SRM, Finding.ALL_VARIANTS, mismatch ? FindingVerdict.DATA_QUALITY : FindingVerdict.PASS,
        srm.observedShare(), current / 100.0, config.srmPValue(), srm.pValue(), String.format(Locale.ROOT,
            "%s of %s %s in treatment vs %d%% expected, chi-square %.1f (1 dof, variance widened by the HLL error)",
            pct(srm.observedShare()), String.format(Locale.US, "%,d", Math.round(exposure.total())),
            exposure.unit(), current, srm.chiSquare()));
  }

  // ---------------------------------------------------------------------------------------------------- exposure

  /** Exposure units per side of the split, in one unit for both sides: users, else impressions, else requests. */
  private record Exposure(DistinctCount treatment, DistinctCount control, String unit) {
    static Exposure of(ArmStats control, Iterable<ArmStats> treatments) {
      double users = control.users().estimate();
      double impressions = control.impressions();
      for (ArmStats arm : treatments) {
        users += arm.users().estimate();
        impressions += arm.impressions();
      }
      String unit = users > 0 ? "users" : impressions > 0 ? "impressions" : "requests";
      double treatment = 0;
      double treatmentVariance = 0;
      for (ArmStats arm : treatments) {
        DistinctCount count = units(arm, unit);
        treatment += count.estimate();
        treatmentVariance += count.standardError() * count.standardError();
      }
      return new Exposure(new DistinctCount(treatment, Math.sqrt(treatmentVariance)), units(control, unit), unit);
    }

    private static DistinctCount units(ArmStats arm, String unit) {
      return switch (unit) {
        case "users" -> arm.users();
        case "impressions" -> DistinctCount.exact(arm.impressions());
        default -> DistinctCount.exact(arm.requests());
      };
    }

    double total() {
      return treatment.estimate() + control.estimate();
    }

    double treatmentShare() {
      return total() > 0 ? treatment.estimate() / total() : 0;
    }

    int inferredPercent() {
      return clampPercent((int) Math.round(100 * treatmentShare()));
    }
  }

  // ---------------------------------------------------------------------------------------------------- reason

  private String reason(Decision decision, int current, List<VariantResult> results, Exposure exposure,
                        FlagState state, boolean knownPercent, Mode mode, int tests, String against) {
    StringBuilder reason = new StringBuilder();
    reason.append(switch (decision.action()) {
      case INCREASE -> "INCREASE " + current + "% → " + decision.target() + "%";
      case HOLD -> "HOLD at " + current + "%";
      case ROLLBACK -> "ROLLBACK " + current + "% → " + decision.target() + "%";
      case KILL -> "KILL " + current + "% → off";
    });
    reason.append(": ").append(decision.why());
    for (VariantResult result : results) {
      reason.append("; ").append(result.variant()).append(": ").append(result.metricsSummary());
    }
    if (against != null) {
      reason.append("; compared against ").append(against)
          .append(": weaker than a live control (the periods differ in time), it can roll back but never increase");
    }
    reason.append(String.format(Locale.ROOT, "; α %s family-wise (Bonferroni over %d tests)",
        trim(config.alpha()), tests));
    if (!knownPercent) {
      reason.append(String.format(Locale.ROOT, "; rollout percent inferred from the observed split (%s of %s in "
          + "treatment) because %s", pct(exposure.treatmentShare()), exposure.unit(),
          state == null ? "the flag state is unknown" : "the flag has no flexibleRollout percent"));
    }
    if (mode == Mode.ADVISORY) {
      reason.append(state == null || !knownPercent ? "; advisory" : "; advisory: the flag is not opted in");
    }
    return reason.toString();
  }

  private static String metricsSummary(ArmStats arm, ArmStats control, boolean conversionMeasured) {
    StringBuilder summary = new StringBuilder();
    summary.append("error ").append(pct(arm.errorRate())).append(" vs ").append(pct(control.errorRate()))
        .append(" control");
    double p99t = LatencyTail.quantile(arm.latency(), P99);
    double p99c = LatencyTail.quantile(control.latency(), P99);
    if (!Double.isNaN(p99t) && !Double.isNaN(p99c)) {
      summary.append(", p99 ").append(ms(p99t)).append(" vs ").append(ms(p99c));
    }
    if (conversionMeasured) {
      summary.append(", conversion ").append(pct(arm.conversionRate())).append(" vs ")
          .append(pct(control.conversionRate()));
    }
    summary.append(String.format(Locale.US, ", n=%,d/%,d", arm.requests(), control.requests()));
    return summary.toString();
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** The findings of a comparison against a historical baseline, each detail saying so. */
  private static List<Finding> againstBaseline(List<Finding> findings, String against) {
    return findings.stream().map(f -> new Finding(f.metric(), f.variant(), f.verdict(), f.observed(), f.baseline(),
        f.threshold(), f.pValue(), "against " + against + ": " + f.detail())).toList();
  }

  private static boolean silent(VariantStats stats) {
    return stats == null || (stats.getRequests() == 0 && stats.getImpressions() == 0);
  }

  private static VariantResult first(List<VariantResult> results, java.util.function.Predicate<VariantResult> test) {
    return results.stream().filter(test).findFirst().orElse(null);
  }

  private static double worst(double a, double b) {
    if (Double.isNaN(a)) {
      return b;
    }
    return Double.isNaN(b) ? a : Math.max(a, b);
  }

  private static int clampPercent(int percent) {
    return Math.max(0, Math.min(100, percent));
  }

  private static double clampUnit(double value) {
    return Double.isNaN(value) ? 0.5 : Math.max(0, Math.min(1, value));
  }

  private static Double nanToNull(double value) {
    return Double.isNaN(value) ? null : value;
  }

  static String pct(double fraction) {
    if (Double.isNaN(fraction)) {
      return "n/a";
    }
    double percent = 100 * fraction;
    return String.format(Locale.ROOT, Math.abs(percent) < 0.1 && percent != 0 ? "%.2f%%" : "%.1f%%", percent);
  }

  private static String signedPct(double fraction) {
    return (fraction >= 0 ? "+" : "") + pct(fraction);
  }

  static String ms(double value) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.0f ms", value);
  }

  private static String pValue(double p) {
    return p < 0.0001 ? "<0.0001" : String.format(Locale.ROOT, "%.4f", p);
  }

  private static String trim(double value) {
    return String.format(Locale.ROOT, "%s", value);
  }
}
