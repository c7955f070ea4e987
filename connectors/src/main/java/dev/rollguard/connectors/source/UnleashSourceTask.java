package dev.rollguard.connectors.source;

import dev.rollguard.avro.FlagState;
import dev.rollguard.connectors.UnleashConnection;
import dev.rollguard.connectors.Version;
import dev.rollguard.connectors.unleash.UnleashAdminClient;
import dev.rollguard.connectors.unleash.UnleashEvent;
import dev.rollguard.schemas.serde.AvroSerde;
import dev.rollguard.schemas.serde.SchemaRegistryClients;
import dev.rollguard.schemas.serde.SchemaRegistryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls Unleash's event log for each project. The first poll (no offset yet) publishes every flag; later polls
 * re-read only the flags named in events newer than the offset. The source partition is the project, its offset the
 * newest event id seen, so a restart resumes there and does not re-publish everything. Values are Avro in the
 * Confluent wire format, encoded here (run with ByteArrayConverter); keys are {@code <environment>/<flag>} strings.
 */
public final class UnleashSourceTask extends SourceTask {
  private static final Logger log = LoggerFactory.getLogger(UnleashSourceTask.class);
  static final String OFFSET_EVENT_ID = "eventId";
  /** With more new events than this, re-reading every flag is cheaper than following the log. */
  private static final int MAX_EVENTS_TO_FOLLOW = 5000;

  private String unleashUrl;
  private String topic;
  private long pollIntervalMs;
  private List<String> projects;
  private FlagStateReader reader;
  private AvroSerde<FlagState> serde;
  /** Newest event id handled per project; ahead of the committed offset when a poll produced no record. */
  private final Map<String, Long> lastEventIds = new HashMap<>();
  private final Object wakeup = new Object();
  private volatile boolean stopping;
  private long nextPollAt;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    UnleashSourceConfig config = new UnleashSourceConfig(props);
    UnleashAdminClient client = UnleashConnection.client(config);
    unleashUrl = client.baseUrl();
    topic = config.getString(UnleashSourceConfig.TOPIC);
    pollIntervalMs = config.getLong(UnleashSourceConfig.POLL_INTERVAL_MS);
    projects = UnleashConnection.projects(config);
    reader = new FlagStateReader(client, config.getList(UnleashSourceConfig.ENVIRONMENTS));
    serde = AvroSerde.fromConfig(FlagState.class, config.originals(), false);
    for (String project : projects) {
      Map<String, Object> offset = context.offsetStorageReader().offset(partition(project));
      if (offset != null && offset.get(OFFSET_EVENT_ID) instanceof Number id) {
        lastEventIds.put(project, id.longValue());
      }
    }
    log.atInfo().addKeyValue("unleash", unleashUrl).addKeyValue("projects", projects)
        .addKeyValue("resumeFrom", lastEventIds).log("Unleash flag-state source started");
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    synchronized (wakeup) {
      long wait = nextPollAt - System.currentTimeMillis();
      while (!stopping && wait > 0) {
        wakeup.wait(wait);
        wait = nextPollAt - System.currentTimeMillis();
      }
    }
    if (stopping) {
      return null;
    }
    nextPollAt = System.currentTimeMillis() + pollIntervalMs;
    List<SourceRecord> records = new ArrayList<>();
    for (String project : projects) {
      try {
        records.addAll(pollProject(project));
      } catch (FlagStateReader.ReadFailure e) {
        if (!e.retriable) {
          throw new ConnectException("Unleash refused to list flag state of project " + project + ": "
              + e.getMessage() + " (check unleash.token and the token's project access)");
        }
        log.atWarn().addKeyValue("project", project).log("Unleash unavailable, retrying at the next poll: {}",
            e.getMessage());
      } catch (SchemaRegistryException e) {
        if (!e.isTransient()) {
          throw new ConnectException("the schema registry refused FlagState: " + e.getMessage(), e);
        }
        log.atWarn().addKeyValue("project", project).log("schema registry unavailable, retrying at the next poll: {}",
            e.getMessage());
      }
    }
    return records.isEmpty() ? null : records;
  }

  /** All records for one project, or an exception before any is returned, so an offset never skips a change. */
  private List<SourceRecord> pollProject(String project) {
    Long last = lastEventIds.get(project);
    long newest = reader.newestEventId(project);
    if (last != null && newest <= last) {
      return List.of();
    }
    Set<String> flags = new LinkedHashSet<>();
    if (last == null) {
      flags.addAll(reader.flags(project));
    } else {
      List<UnleashEvent> events = reader.eventsAfter(project, last, MAX_EVENTS_TO_FOLLOW);
      if (events.size() >= MAX_EVENTS_TO_FOLLOW) {
        flags.addAll(reader.flags(project));
      }
      events.stream().filter(e -> e.featureName() != null).forEach(e -> flags.add(e.featureName()));
    }
    List<SourceRecord> records = new ArrayList<>();
    Map<String, Object> offset = Map.of(OFFSET_EVENT_ID, newest);
    for (String flag : flags) {
      reader.read(project, flag).forEach((env, state) -> records.add(new SourceRecord(partition(project), offset,
          topic, null, Schema.STRING_SCHEMA, env + "/" + flag, Schema.OPTIONAL_BYTES_SCHEMA,
          state == null ? null : serde.serialize(topic, state))));
    }
    lastEventIds.put(project, newest);
    log.atInfo().addKeyValue("project", project).addKeyValue("flags", flags.size())
        .addKeyValue("records", records.size()).addKeyValue("eventId", newest)
        .log(last == null ? "published the state of every flag" : "published changed flags");
    return records;
  }

  private Map<String, String> partition(String project) {
    return Map.of("unleash", unleashUrl, "project", project);
  }

  @Override
  public void stop() {
    stopping = true;
    synchronized (wakeup) {
      wakeup.notifyAll();
    }
    if (serde != null) {
      serde.close();
    }
  }
}
