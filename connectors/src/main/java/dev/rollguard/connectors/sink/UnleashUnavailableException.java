package dev.rollguard.connectors.sink;

/** Unleash did not answer or answered 429/5xx: the decision is retried, never dead-lettered. */
final class UnleashUnavailableException extends RuntimeException {
  UnleashUnavailableException(String message) {
    super(message);
  }
}
