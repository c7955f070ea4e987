package dev.rollguard.connectors.sink;

import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RolloutDecision;
import java.time.Instant;

/**
 * What the applier did with one decision. {@code deadLetter} marks failures that retrying cannot fix (a bad token,
 * a missing flag, an invalid decision): the task sends those records to Connect's dead-letter topic.
 */
record ApplyResult(OutcomeKind kind, String reason, Integer fromPercent, Integer toPercent, Integer httpStatus,
    String response, boolean deadLetter) {

  static ApplyResult applied(String reason, Integer from, Integer to, int httpStatus, String response) {
    return new ApplyResult(OutcomeKind.APPLIED, reason, from, to, httpStatus, response, false);
  }

  static ApplyResult skipped(String reason, Integer from, Integer to) {
    return new ApplyResult(OutcomeKind.SKIPPED, reason, from, to, null, null, false);
  }

  static ApplyResult dryRun(String reason, Integer from, Integer to) {
    return new ApplyResult(OutcomeKind.DRY_RUN, reason, from, to, null, null, false);
  }

  static ApplyResult failed(String reason, Integer from, Integer to, Integer httpStatus, String response) {
    return new ApplyResult(OutcomeKind.FAILED, reason, from, to, httpStatus, response, true);
  }

  ApplyOutcome toOutcome(RolloutDecision decision, Instant at) {
    return ApplyOutcome.newBuilder()
        .setDecisionId(decision.getDecisionId())
        .setFlag(decision.getFlag())
        .setEnvironment(decision.getEnvironment())
        .setAction(decision.getAction())
        .setOutcome(kind)
        .setReason(reason)
        .setFromPercent(fromPercent)
        .setToPercent(toPercent)
        .setHttpStatus(httpStatus)
        .setResponse(response)
        .setAt(at)
        .build();
  }
}
