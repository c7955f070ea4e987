package dev.rollguard.streams.decisions;

/** Untrusted text (flag names, model explanations) made safe for one log line: no control characters, bounded. */
final class LogSafe {
  private LogSafe() {}

  static String of(String s, int max) {
    if (s == null) {
      return null;
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
    for (int i = 0; i < s.length() && b.length() < max; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : c);
    }
    return s.length() > max ? b.append('…').toString() : b.toString();
  }
}
