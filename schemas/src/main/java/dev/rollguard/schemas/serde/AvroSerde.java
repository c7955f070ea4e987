package dev.rollguard.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for a generated Avro class in the Confluent wire format, with TopicNameStrategy subjects
 * ({@code <topic>-value} or {@code <topic>-key}). Readers resolve the writer's schema (fetched by id, cached) against
 * this class's schema, so old producers keep working as the contract evolves.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final Schema schema;
  private final SchemaRegistryClient registry;
  private final boolean isKey;
  private final boolean autoRegister;
  private final SpecificDatumWriter<T> writer;
  private final Map<String, Integer> idsBySubject = new ConcurrentHashMap<>();
  private final Map<Integer, DatumReader<T>> readersById = new ConcurrentHashMap<>();
  private final AutoCloseable ownedRegistry;

  public AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
    this(type, registry, isKey, autoRegister, null);
  }

  private AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister,
      AutoCloseable ownedRegistry) {
    this.ownedRegistry = ownedRegistry;
    AvroTrust.trustContractClasses();
    this.schema = SpecificData.get().getSchema(type);
    this.registry = registry;
    this.isKey = isKey;
    this.autoRegister = autoRegister;
    this.writer = new SpecificDatumWriter<>(schema);
  }

  /** A value serde that registers its schema on first use: the usual choice for dev, tests and simulate. */
  public static <T extends SpecificRecord> AvroSerde<T> forValues(Class<T> type, SchemaRegistryClient registry) {
    return new AvroSerde<>(type, registry, false, true);
  }

  /**
   * A serde configured from Confluent-style keys, as found in Kafka Streams and Connect configs:
   * {@code schema.registry.url} (http(s)://, or {@code mock://scope} for tests), {@code auto.register.schemas},
   * {@code basic.auth.user.info}, {@code schema.registry.ssl.*}, timeouts and retries (see {@link SchemaRegistryConfig}).
   * The serde owns the registry client it creates and closes it in {@link #close()}; to share one client (and its
   * cache) between many serdes, build it with {@link SchemaRegistryClients#fromConfig} and use the constructor.
   */
  public static <T extends SpecificRecord> AvroSerde<T> fromConfig(Class<T> type, Map<String, ?> config, boolean isKey) {
    SchemaRegistryClient registry = SchemaRegistryClients.fromConfig(config);
    return new AvroSerde<>(type, registry, isKey, SchemaRegistryClients.autoRegister(config),
        registry instanceof AutoCloseable c ? c : null);
  }

  public static String subject(String topic, boolean isKey) {
    return topic + (isKey ? "-key" : "-value");
  }

  public Schema schema() {
    return schema;
  }

  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    String subject = subject(topic, isKey);
    int id = idsBySubject.computeIfAbsent(subject,
        s -> autoRegister ? registry.register(s, schema) : registry.lookup(s, schema));
    ByteArrayOutputStream body = new ByteArrayOutputStream(256);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(body, null);
    try {
      writer.write(data, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot serialize " + schema.getName() + " for " + subject, e);
    }
    return WireFormat.frame(id, body.toByteArray());
  }

  public T deserialize(String topic, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    int id = WireFormat.schemaId(bytes);
    DatumReader<T> reader = readerFor(id);
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_LENGTH,
        bytes.length - WireFormat.HEADER_LENGTH, null);
    try {
      T value = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new WireFormatException.Malformed("trailing bytes after the Avro body (schema id " + id + ")");
      }
      return value;
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
        | ClassCastException | UnsupportedOperationException e) {
      throw new WireFormatException.Malformed(
          "Avro body does not decode with schema id " + id + " as " + schema.getName() + ": " + e, e);
    }
  }

  private DatumReader<T> readerFor(int id) {
    DatumReader<T> reader = readersById.get(id);
    if (reader != null) {
      return reader;
    }
    Schema writerSchema;
    try {
      writerSchema = registry.schemaById(id);
    } catch (SchemaRegistryClient.SchemaNotFoundException e) {
      throw new WireFormatException.UnknownSchemaId(id, e);
    }
    reader = new SpecificDatumReader<>(writerSchema, schema);
    readersById.put(id, reader);
    return reader;
  }

  @Override
  public void close() {
    if (ownedRegistry != null) {
      try {
        ownedRegistry.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot close the schema registry client", e);
      }
    }
  }

  @Override
  public Serializer<T> serializer() {
    return this::serialize;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this::deserialize;
  }
}
