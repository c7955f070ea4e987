package dev.rollguard.schemas.serde;

/**
 * The schema registry refused a request or could not be reached. {@link #httpStatus()} and {@link #errorCode()} carry
 * the registry's answer (Confluent error codes such as 409 for an incompatible schema, 42201 for an invalid one);
 * both are -1 when no answer came back (network error, timeout).
 *
 * <p>This is deliberately not a {@link WireFormatException}: a registry outage must stop or retry the pipeline, never
 * send good records to the dead-letter topic.
 */
public class SchemaRegistryException extends RuntimeException {
  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(String message) {
    this(message, -1, -1, null);
  }

  public SchemaRegistryException(String message, Throwable cause) {
    this(message, -1, -1, cause);
  }

  public SchemaRegistryException(String message, int httpStatus, int errorCode) {
    this(message, httpStatus, errorCode, null);
  }

  public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  /** The HTTP status the registry answered with, or -1 when it did not answer. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The Confluent {@code error_code} (e.g. 40403, 409, 42201), or the HTTP status when the body had none; -1 without an answer. */
  public int errorCode() {
    return errorCode;
  }

  /** True for answers that may succeed when asked again: 5xx, or no answer at all. */
  public boolean isTransient() {
    return httpStatus < 0 || httpStatus >= 500;
  }
}
