package dev.rollguard.demo;

import java.util.regex.Pattern;

/** Makes untrusted text (flag names, reasons built from them) safe to print on one terminal line. */
public final class LogText {
  /** Control characters (ANSI escapes, newlines) and format characters (bidi overrides, zero-width). */
  private static final Pattern UNSAFE = Pattern.compile("[\\p{Cc}\\p{Cf}\\u2028\\u2029]");
  private static final int MAX = 400;

  private LogText() {}

  /** Removes control and format characters and caps the length. */
  public static String clean(String text) {
    if (text == null) {
      return "";
    }
    String cleaned = UNSAFE.matcher(text).replaceAll("");
    return cleaned.length() <= MAX ? cleaned : cleaned.substring(0, MAX) + "…";
  }
}
