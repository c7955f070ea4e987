package dev.rollguard.simulate;

/** A scenario file that cannot be used; the message says which field and why. */
public final class InvalidScenarioException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidScenarioException(String message) {
    super(message);
  }

  public InvalidScenarioException(String message, Throwable cause) {
    super(message, cause);
  }
}
