package dev.rollguard.streams.decisions;

import dev.rollguard.schemas.serde.WireFormatException;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Window statistics whose bytes cannot be read (malformed, unknown schema id) are logged with their coordinates,
 * counted ({@code rollguard.decisions.skipped{reason=undecodable}}) and skipped; they were written by Rollguard's own
 * windows stage, which dead-letters bad events upstream. Any other cause (an unreachable registry) fails the task,
 * so good windows are never skipped because of an outage.
 */
public final class DecisionDeserializationHandler implements DeserializationExceptionHandler {
  /** Config key under which {@link DecisionTopology#streamsProperties} passes the shared {@link DecisionMetrics}. */
  public static final String METRICS_CONFIG = "rollguard.decisions.metrics";
  private static final Logger log = LoggerFactory.getLogger(DecisionDeserializationHandler.class);

  private DecisionMetrics metrics;

  @Override
  public void configure(Map<String, ?> configs) {
    if (!(configs.get(METRICS_CONFIG) instanceof DecisionMetrics m)) {
      throw new ConfigException(METRICS_CONFIG, configs.get(METRICS_CONFIG), "must be a DecisionMetrics instance");
    }
    metrics = m;
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    for (Throwable c = exception; c != null; c = c.getCause()) {
      if (c instanceof WireFormatException w) {
        metrics.skipped("undecodable");
        log.atError().addKeyValue("topic", record.topic()).addKeyValue("partition", record.partition())
            .addKeyValue("offset", record.offset()).addKeyValue("error", LogSafe.of(w.getMessage(), 300))
            .log("undecodable window statistics skipped: no decision for this record");
        return Response.resume();
      }
    }
    log.atError().setCause(exception).addKeyValue("topic", record.topic()).addKeyValue("offset", record.offset())
        .log("cannot deserialize, and not because of the bytes: failing the task");
    return Response.fail();
  }
}
