package dev.rollguard.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.avro.Exposure;
import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Exact bytes, computed by hand from the Avro spec: magic 0x00, the schema id as 4 big-endian bytes, then the body.
 * In the body, ints and longs are zig-zag varints, strings a length varint then UTF-8, booleans one byte, doubles
 * 8 bytes little-endian, unions the branch index as a varint, maps and arrays blocks of (count, items) ended by 0.
 */
class WireFormatGoldenTest {
  private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

  @Test
  void exposureEncodesToTheHandComputedBytes() {
    var serde = new AvroSerde<>(Exposure.class, new FixedIdRegistry(1, Exposure.getClassSchema()), false, true);
    byte[] bytes = serde.serialize("t", new Exposure("checkout", false, "disabled"));
    assertThat(HEX.formatHex(bytes)).isEqualTo(
        "00 00 00 00 01"                                   // magic, id 1
        + " 10 63 68 65 63 6b 6f 75 74"                    // "checkout": length 8 -> zig-zag 16 = 0x10
        + " 00"                                            // enabled false
        + " 10 64 69 73 61 62 6c 65 64");                  // "disabled"
  }

  @Test
  void flagImpressionEncodesToTheHandComputedBytes() {
    FlagImpression impression = FlagImpression.newBuilder()
        .setEventId("e1").setTimestamp(Instant.ofEpochMilli(1000)).setAppName("a").setEnvironment("p")
        .setFeatureName("f").setEnabled(true).setVariant("on").setUserId("u").setSessionId(null)
        .setContext(Map.of("k", "v")).build();
    var serde = new AvroSerde<>(FlagImpression.class, new FixedIdRegistry(258, FlagImpression.getClassSchema()),
        false, true);

    byte[] bytes = serde.serialize("flag.impressions", impression);

    assertThat(HEX.formatHex(bytes)).isEqualTo(
        "00 00 00 01 02"            // magic, id 258 = 0x00000102 big-endian
        + " 04 65 31"               // eventId "e1"
        + " d0 0f"                  // timestamp 1000 -> zig-zag 2000 -> varint 0xd0 0x0f
        + " 02 61"                  // appName "a"
        + " 02 70"                  // environment "p"
        + " 02 66"                  // featureName "f"
        + " 01"                     // enabled true
        + " 04 6f 6e"               // variant "on"
        + " 02 02 75"               // userId: union branch 1 (string), "u"
        + " 00"                     // sessionId: union branch 0 (null)
        + " 02 02 6b 02 76 00");    // context: block of 1, "k" -> "v", end of map
    assertThat(serde.deserialize("flag.impressions", bytes)).isEqualTo(impression);
  }

  @Test
  void requestMetricEncodesToTheHandComputedBytes() {
    RequestMetric metric = RequestMetric.newBuilder()
        .setEventId("r").setTimestamp(Instant.ofEpochMilli(-1)).setAppName("a").setEnvironment("p")
        .setUserId(null).setSessionId("s").setRoute(null)
        .setExposures(List.of(new Exposure("f", true, "on")))
        .setLatencyMs(12.5).setStatusCode(500).setError(true).setConverted(false).setGoal(null).build();
    var serde = new AvroSerde<>(RequestMetric.class,
        new FixedIdRegistry(0x01020304, RequestMetric.getClassSchema()), false, true);

    byte[] bytes = serde.serialize("flag.request-metrics", metric);

    assertThat(HEX.formatHex(bytes)).isEqualTo(
        "00 01 02 03 04"            // magic, id 0x01020304 big-endian
        + " 02 72"                  // eventId "r"
        + " 01"                     // timestamp -1 -> zig-zag 1
        + " 02 61 02 70"            // appName "a", environment "p"
        + " 00"                     // userId null
        + " 02 02 73"               // sessionId "s"
        + " 00"                     // route null
        + " 02 02 66 01 04 6f 6e 00" // exposures: block of 1 {"f", true, "on"}, end of array
        + " 00 00 00 00 00 00 29 40" // latencyMs 12.5 = 0x4029000000000000, little-endian
        + " e8 07"                  // statusCode 500 -> zig-zag 1000 -> varint 0xe8 0x07
        + " 01"                     // error true
        + " 00"                     // converted false
        + " 00");                   // goal null
    assertThat(serde.deserialize("flag.request-metrics", bytes)).isEqualTo(metric);
  }

  @Test
  void frameWritesMagicThenBigEndianIdThenBody() {
    assertThat(WireFormat.frame(0x7fffffff, new byte[] {9})).containsExactly(0, 0x7f, 0xff, 0xff, 0xff, 9);
    assertThat(WireFormat.schemaId(new byte[] {0, 0, 0, 1, 2, 0x55})).isEqualTo(258);
  }
}
