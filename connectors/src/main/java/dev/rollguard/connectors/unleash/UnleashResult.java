package dev.rollguard.connectors.unleash;

/**
 * What an Admin API call came to: a value, or a failure with its kind. Ordinary outcomes (404, 401, a refused
 * value) are results, not exceptions, so the applier can name each one.
 */
public sealed interface UnleashResult<T> {

  /** The call succeeded with this HTTP status; {@code body} is Unleash's response, truncated (null when withheld). */
  record Ok<T>(int status, T value, String body) implements UnleashResult<T> {}

  /** The call failed; {@code status} is 0 when no HTTP answer came (network) or no call was made (invalid). */
  record Failure<T>(int status, FailureKind kind, String message, String body) implements UnleashResult<T> {
    public boolean retriable() {
      return kind.retriable();
    }

    /** The same failure typed for another result, to pass it up. */
    @SuppressWarnings("unchecked")
    public <U> Failure<U> cast() {
      return (Failure<U>) this;
    }
  }

  default boolean isOk() {
    return this instanceof Ok;
  }

  /** The value; throws when this is a failure (use after {@link #isOk()}). */
  default T value() {
    if (this instanceof Ok<T> ok) {
      return ok.value();
    }
    throw new IllegalStateException("not a success: " + this);
  }

  enum FailureKind {
    /** 401: the admin token is missing, wrong or revoked. */
    UNAUTHORIZED(false),
    /** 403: the token lacks the permission (or the project/environment is outside its scope). */
    FORBIDDEN(false),
    /** 404: no such project, flag, environment or strategy. */
    NOT_FOUND(false),
    /** 409: Unleash refused the change because of the flag's state (e.g. change requests required). */
    CONFLICT(false),
    /** Another 4xx: Unleash refused the request as invalid. */
    REJECTED(false),
    /** Refused before any call: the request itself is invalid (e.g. a percent outside 0..100). */
    INVALID(false),
    /** 429 or 5xx: Unleash is overloaded or failing; worth retrying. */
    SERVER_ERROR(true),
    /** No HTTP answer at all (connection refused, timeout); worth retrying. */
    NETWORK(true);

    private final boolean retriable;

    FailureKind(boolean retriable) {
      this.retriable = retriable;
    }

    public boolean retriable() {
      return retriable;
    }

    static FailureKind ofStatus(int status) {
      return switch (status) {
        case 401 -> UNAUTHORIZED;
        case 403 -> FORBIDDEN;
        case 404 -> NOT_FOUND;
        case 409 -> CONFLICT;
        case 429 -> SERVER_ERROR;
        default -> status >= 500 ? SERVER_ERROR : REJECTED;
      };
    }
  }
}
