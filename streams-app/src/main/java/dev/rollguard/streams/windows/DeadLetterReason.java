package dev.rollguard.streams.windows;

import java.util.Locale;

/**
 * Every named outcome of a bad input. The {@link #category()} goes into {@code DeadLetter.category}; the
 * {@link #tag()} is the {@code reason} tag of the {@value WindowsMetrics#DEAD_LETTERS} counter.
 */
public enum DeadLetterReason {
  MALFORMED(Category.DESERIALIZATION),
  UNKNOWN_SCHEMA_ID(Category.DESERIALIZATION),
  NULL_VALUE(Category.INVALID),
  MISSING_FLAG(Category.INVALID),
  BLANK_ENVIRONMENT(Category.INVALID),
  BAD_ENVIRONMENT(Category.INVALID),
  NO_EXPOSURES(Category.INVALID),
  BAD_LATENCY(Category.INVALID),
  FUTURE_TIMESTAMP(Category.INVALID),
  LATE(Category.LATE);

  public enum Category {
    DESERIALIZATION, INVALID, LATE;

    public String value() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Category category;

  DeadLetterReason(Category category) {
    this.category = category;
  }

  public Category category() {
    return category;
  }

  public String tag() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
