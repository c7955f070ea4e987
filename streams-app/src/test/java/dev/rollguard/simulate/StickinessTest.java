package dev.rollguard.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

final class StickinessTest {

  @Test
  void murmur3MatchesTheReferenceVectors() {
    assertThat(Stickiness.murmur3("", 0)).isZero();
    assertThat(Stickiness.murmur3("hello", 0)).isEqualTo(0x248bfa47);
    assertThat(Stickiness.murmur3("The quick brown fox jumps over the lazy dog", 0)).isEqualTo(0x2e4ff723);
  }

  @Test
  void bucketsMatchUnleashNormalizedValues() {
    // Unleash's normalizedValue is bucket + 1; these pairs are the SDKs' cross-client checks.
    assertThat(Stickiness.bucket("gr1", "123") + 1).isEqualTo(73);
    assertThat(Stickiness.bucket("groupX", "999") + 1).isEqualTo(25);
  }
}
