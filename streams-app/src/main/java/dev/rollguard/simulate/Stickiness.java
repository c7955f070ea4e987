package dev.rollguard.simulate;

import java.nio.charset.StandardCharsets;

/**
 * Which users a rollout percent includes, computed as Unleash's {@code flexibleRollout} strategy does with
 * {@code stickiness: userId} and {@code groupId} = the flag name: bucket = MurmurHash3 (x86, 32 bit, seed 0) of
 * {@code "<groupId>:<userId>"} mod 100, and a user is in at {@code p}% when its bucket is below {@code p}. Raising the
 * percent keeps everyone who was in, which is what makes a rollout sticky.
 */
final class Stickiness {
  private Stickiness() {}

  /** The user's bucket 0..99 for the flag; in treatment at {@code percent} iff {@code bucket < percent}. */
  static int bucket(String groupId, String userId) {
    return (int) (Integer.toUnsignedLong(murmur3(groupId + ":" + userId, 0)) % 100);
  }

  /** MurmurHash3 x86 32-bit of the UTF-8 bytes. */
  static int murmur3(String text, int seed) {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    final int c1 = 0xcc9e2d51;
    final int c2 = 0x1b873593;
    int h = seed;
    int blocks = data.length / 4;
    for (int i = 0; i < blocks; i++) {
      int k = (data[4 * i] & 0xff) | (data[4 * i + 1] & 0xff) << 8 | (data[4 * i + 2] & 0xff) << 16
          | (data[4 * i + 3] & 0xff) << 24;
      k *= c1;
      k = Integer.rotateLeft(k, 15);
      k *= c2;
      h ^= k;
      h = Integer.rotateLeft(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    int k = 0;
    int tail = blocks * 4;
    switch (data.length & 3) {
      case 3:
        k ^= (data[tail + 2] & 0xff) << 16;
        // fall through
      case 2:
        k ^= (data[tail + 1] & 0xff) << 8;
        // fall through
      case 1:
        k ^= data[tail] & 0xff;
        k *= c1;
        k = Integer.rotateLeft(k, 15);
        k *= c2;
        h ^= k;
        break;
      default:
        break;
    }
    h ^= data.length;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
