package dev.rollguard.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollguard.avro.FlagImpression;
import dev.rollguard.avro.RequestMetric;
import dev.rollguard.schemas.ContractSamples;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AvroSerdeTest {
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

  static Stream<SpecificRecord> everyContractRecord() {
    return ContractSamples.all().stream();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private AvroSerde<SpecificRecord> serdeFor(SpecificRecord record) {
    return new AvroSerde(record.getClass(), registry, false, true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyContractRecord")
  void everyContractRecordSurvivesARoundTrip(SpecificRecord record) {
    AvroSerde<SpecificRecord> serde = serdeFor(record);
    byte[] bytes = serde.serializer().serialize("topic", record);
    assertThat(bytes[0]).isEqualTo(WireFormat.MAGIC);
    assertThat(serde.deserializer().deserialize("topic", bytes)).isEqualTo(record);
  }

  @Test
  void registersUnderTheTopicNameStrategySubject() {
    var serde = AvroSerde.forValues(FlagImpression.class, registry);
    byte[] bytes = serde.serialize("flag.impressions", ContractSamples.flagImpression());
    int id = registry.lookup("flag.impressions-value", FlagImpression.getClassSchema());
    assertThat(WireFormat.schemaId(bytes)).isEqualTo(id);
    assertThat(AvroSerde.subject("flag.impressions", true)).isEqualTo("flag.impressions-key");
  }

  @Test
  void withoutAutoRegisterASchemaUnknownToTheSubjectIsRefused() {
    var serde = new AvroSerde<>(FlagImpression.class, registry, false, false);
    assertThatThrownBy(() -> serde.serialize("flag.impressions", ContractSamples.flagImpression()))
        .isInstanceOf(SchemaRegistryClient.SchemaNotFoundException.class);

    registry.register("flag.impressions-value", FlagImpression.getClassSchema());
    assertThat(serde.serialize("flag.impressions", ContractSamples.flagImpression())).isNotEmpty();
  }

  @Test
  void nullsPassThroughAsTombstones() {
    var serde = AvroSerde.forValues(FlagImpression.class, registry);
    assertThat(serde.serialize("t", null)).isNull();
    assertThat(serde.deserialize("t", null)).isNull();
  }

  @Test
  void readsDataWrittenByAnOlderProducerWithoutTheNewerFields() throws Exception {
    // A producer still on a RequestMetric without converted/goal: the reader fills in the defaults.
    Schema current = RequestMetric.getClassSchema();
    SchemaBuilder.FieldAssembler<Schema> old = SchemaBuilder.record("RequestMetric").namespace("dev.rollguard.avro")
        .fields();
    for (Schema.Field f : current.getFields()) {
      if (!f.name().equals("converted") && !f.name().equals("goal")) {
        old = old.name(f.name()).type(f.schema()).noDefault();
      }
    }
    Schema oldSchema = old.endRecord();
    int oldId = registry.register("flag.request-metrics-value", oldSchema);

    RequestMetric sample = ContractSamples.requestMetric();
    GenericRecord written = new GenericData.Record(oldSchema);
    for (Schema.Field f : oldSchema.getFields()) {
      written.put(f.name(), sample.get(f.name()));
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(body, null);
    new GenericDatumWriter<GenericRecord>(oldSchema, specificWithLogicalTypes()).write(written, encoder);
    encoder.flush();

    RequestMetric read = AvroSerde.forValues(RequestMetric.class, registry)
        .deserialize("flag.request-metrics", WireFormat.frame(oldId, body.toByteArray()));

    assertThat(read.getConverted()).isFalse();
    assertThat(read.getGoal()).isNull();
    assertThat(read.getExposures()).isEqualTo(sample.getExposures());
    assertThat(read.getTimestamp()).isEqualTo(sample.getTimestamp());
  }

  private static GenericData specificWithLogicalTypes() {
    GenericData data = new GenericData();
    data.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMillisConversion());
    return data;
  }

  // ---------------------------------------------------------------- malformed input

  private byte[] validImpression() {
    return AvroSerde.forValues(FlagImpression.class, registry).serialize("t", ContractSamples.flagImpression());
  }

  private void assertMalformed(byte[] bytes) {
    var serde = AvroSerde.forValues(FlagImpression.class, registry);
    assertThatThrownBy(() -> serde.deserialize("t", bytes)).isInstanceOf(WireFormatException.Malformed.class);
  }

  @Test
  void emptyBytesAreMalformed() {
    assertMalformed(new byte[0]);
  }

  @Test
  void bytesShorterThanTheHeaderAreMalformed() {
    assertMalformed(new byte[] {0, 0, 1});
  }

  @Test
  void aWrongMagicByteIsMalformed() {
    byte[] bytes = validImpression();
    bytes[0] = 1;
    assertMalformed(bytes);
  }

  @Test
  void plainJsonIsMalformed() {
    assertMalformed("{\"featureName\":\"x\"}".getBytes());
  }

  @Test
  void aTruncatedBodyIsMalformed() {
    byte[] bytes = validImpression();
    assertMalformed(Arrays.copyOf(bytes, bytes.length - 3));
    assertMalformed(Arrays.copyOf(bytes, WireFormat.HEADER_LENGTH));
  }

  @Test
  void trailingGarbageAfterTheBodyIsMalformed() {
    byte[] bytes = validImpression();
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 2);
    longer[bytes.length] = 0x42;
    assertMalformed(longer);
  }

  @Test
  void aHugeDeclaredStringLengthIsMalformedNotAnOutOfMemoryError() {
    byte[] bytes = validImpression();
    byte[] evil = Arrays.copyOf(bytes, WireFormat.HEADER_LENGTH + 5);
    // eventId length varint 0xfe 0xff 0xff 0xff 0x0f = zig-zag of 2^31-1 bytes.
    evil[5] = (byte) 0xfe;
    evil[6] = (byte) 0xff;
    evil[7] = (byte) 0xff;
    evil[8] = (byte) 0xff;
    evil[9] = 0x0f;
    assertMalformed(evil);
  }

  @Test
  void anUnknownSchemaIdIsReportedWithTheId() {
    byte[] bytes = validImpression();
    byte[] unknown = Arrays.copyOf(bytes, bytes.length);
    unknown[4] = 99;
    var serde = AvroSerde.forValues(FlagImpression.class, registry);
    assertThatThrownBy(() -> serde.deserialize("t", unknown))
        .isInstanceOfSatisfying(WireFormatException.UnknownSchemaId.class,
            e -> assertThat(e.schemaId()).isEqualTo(99));
  }

  @Test
  void fromConfigBuildsAMockScopedSerdeForTests() {
    Map<String, Object> config = Map.of("schema.registry.url", "mock://serde-test", "auto.register.schemas", "true");
    try (var serde = AvroSerde.fromConfig(FlagImpression.class, config, false)) {
      byte[] bytes = serde.serialize("flag.impressions", ContractSamples.flagImpression());
      assertThat(SchemaRegistryClients.mock("serde-test").schemaById(WireFormat.schemaId(bytes)))
          .isEqualTo(FlagImpression.getClassSchema());
    } finally {
      SchemaRegistryClients.dropMock("serde-test");
    }
  }
}
