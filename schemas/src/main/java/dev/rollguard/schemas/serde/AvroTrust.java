package dev.rollguard.schemas.serde;

import dev.rollguard.avro.Action;
import dev.rollguard.avro.Advice;
import dev.rollguard.avro.ApplyOutcome;
import dev.rollguard.avro.DeadLetter;
import dev.rollguard.avro.DecidedBy;
import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.Finding;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.FlagState;
import dev.rollguard.avro.FlagWindowStats;
import dev.rollguard.avro.Mode;
import dev.rollguard.avro.OutcomeKind;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.avro.RolloutDecision;
import dev.rollguard.avro.VariantStats;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate specific classes outside its trusted set. Trust exactly the generated contract
 * classes, added to whatever the JVM already trusts, never a whole package from outside.
 */
public final class AvroTrust {
  private static boolean done;

  private AvroTrust() {}

  public static synchronized void trustContractClasses() {
    if (done) {
      return;
    }
    ClassSecurityValidator.Builder ours = ClassSecurityValidator.builder();
    for (Class<?> c : new Class<?>[] {
        FlagImpression.class, RequestMetric.class, Exposure.class, FlagWindowStats.class, VariantStats.class,
        FlagState.class, RolloutDecision.class, Finding.class, Advice.class, Action.class, DecidedBy.class, Mode.class,
        DeadLetter.class, ApplyOutcome.class, OutcomeKind.class}) {
      ours.add(c);
    }
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours.build()));
    done = true;
  }
}
