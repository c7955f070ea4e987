package dev.rollguard.streams.windows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The open windows of one task, as live objects, in front of a changelogged in-memory key-value store of their bytes.
 *
 * <p>Why not a plain {@code KeyValueStore<WindowAggregate>}: every {@code put} would serialize the aggregate, its
 * DDSketch and two HLL sketches (several KB) once per event. Here an event only updates objects and marks its window
 * dirty; the dirty windows are serialized into the logged store once per commit, in {@link #flushCache()}.
 *
 * <p>Why that is exactly-once: Streams calls {@code flushCache()} on every {@link CachedStateStore} in
 * {@code StreamTask.prepareCommit}, before it flushes the producer and commits the transaction holding the input
 * offsets. So the changelog writes of a commit's events are in the same transaction as those events' offsets, exactly
 * like Streams' own record cache. {@link #clearCache()} (a dirty close under EOS) drops the objects, which are then
 * read again from the restored store. {@code CachedStateStore} is a Kafka Streams internal interface; it is the only
 * pre-commit hook a store has (checked against 4.3.1); {@code WindowsTopologyTest
 * #theChangelogGetsTheWindowOncePerCommitAndATombstoneOnClose} and {@code WindowsIT} (restart from the changelog) pin
 * the behaviour.
 */
public final class WindowAggregateStore implements StateStore, CachedStateStore<Bytes, byte[]> {
  /** Keys shorter than a window key's 8-byte start hold metadata. */
  private static final Bytes WATERMARK_KEY = Bytes.wrap("W".getBytes(StandardCharsets.US_ASCII));
  /** Prefix of a source watermark's key: {@code 'S'} and the source (intake task) partition, 5 bytes. */
  private static final byte SOURCE_PREFIX = 'S';

  private record WindowKey(String flagKey, long windowStart) {}

  private final String name;
  private final KeyValueStore<Bytes, byte[]> inner;
  private final WindowAggregateSerde serde = new WindowAggregateSerde();
  private final Map<WindowKey, WindowAggregate> open = new HashMap<>();
  private final Set<WindowKey> dirty = new HashSet<>();
  private final Set<WindowKey> deleted = new HashSet<>();
  private long watermark = Long.MIN_VALUE;
  private boolean watermarkDirty;
  private final Map<Integer, Long> sourceWatermarks = new TreeMap<>();
  private final Set<Integer> dirtySources = new HashSet<>();
  private boolean loaded;

  WindowAggregateStore(String name, Map<String, String> changelogConfig) {
    this.name = name;
    this.inner = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
        .withLoggingEnabled(changelogConfig)
        .withCachingDisabled()
        .build();
  }

  public static StoreBuilder<WindowAggregateStore> builder(String name) {
    return new Builder(name, Map.of());
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    resetObjects();
    // Registers this store (the root) for restoration: the changelog fills the inner store before processing starts.
    inner.init(context, root);
  }

  /** The window of this flag starting at {@code windowStart}, or null. */
  public WindowAggregate get(FlagKey key, long windowStart) {
    load();
    return open.get(new WindowKey(key.format(), windowStart));
  }

  /** The window, created empty if absent, marked dirty: the caller is about to change it. */
  public WindowAggregate getForUpdate(FlagKey key, long windowStart, long windowEnd) {
    load();
    WindowKey k = new WindowKey(key.format(), windowStart);
    WindowAggregate a = open.get(k);
    if (a == null) {
      a = new WindowAggregate(key, windowStart, windowEnd);
      open.put(k, a);
      deleted.remove(k);
    }
    dirty.add(k);
    return a;
  }

  /** Adds a window that is not open yet (the caller checked with {@link #get}), taking ownership of the object. */
  public void put(WindowAggregate a) {
    load();
    WindowKey k = new WindowKey(a.key().format(), a.windowStart());
    if (open.putIfAbsent(k, a) != null) {
      throw new IllegalStateException("window already open: " + a.describe());
    }
    deleted.remove(k);
    dirty.add(k);
  }

  public void remove(WindowAggregate a) {
    load();
    WindowKey k = new WindowKey(a.key().format(), a.windowStart());
    if (open.remove(k) != null) {
      dirty.remove(k);
      deleted.add(k);
    }
  }

  /** A snapshot of the open windows, safe to iterate while removing. */
  public List<WindowAggregate> openWindows() {
    load();
    return new ArrayList<>(open.values());
  }

  public int openWindowCount() {
    load();
    return open.size();
  }

  /** The close watermark persisted with the windows; {@code Long.MIN_VALUE} before the first event. */
  public long watermark() {
    load();
    return watermark;
  }

  public void watermark(long value) {
    load();
    if (value != watermark) {
      watermark = value;
      watermarkDirty = true;
    }
  }

  /** The last event time heard from each source (intake task), persisted so that a restart keeps waiting for them. */
  public Map<Integer, Long> sourceWatermarks() {
    load();
    return Map.copyOf(sourceWatermarks);
  }

  public void sourceWatermark(int source, long eventTime) {
    load();
    Long previous = sourceWatermarks.put(source, eventTime);
    if (previous == null || previous != eventTime) {
      dirtySources.add(source);
    }
  }

  /** Serialized size of the open windows, as they would be written to the changelog (benchmark and tests). */
  public long serializedBytes() {
    load();
    long total = 0;
    for (WindowAggregate a : open.values()) {
      total += serde.serialize(a).length;
    }
    return total;
  }

  private void load() {
    if (loaded) {
      return;
    }
    // First use after init: the inner store is restored by now (processors start after restoration).
    try (KeyValueIterator<Bytes, byte[]> it = inner.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> kv = it.next();
        if (kv.key.equals(WATERMARK_KEY)) {
          watermark = ByteBuffer.wrap(kv.value).getLong();
        } else if (kv.key.get().length == 1 + Integer.BYTES && kv.key.get()[0] == SOURCE_PREFIX) {
          sourceWatermarks.put(ByteBuffer.wrap(kv.key.get(), 1, Integer.BYTES).getInt(),
              ByteBuffer.wrap(kv.value).getLong());
        } else if (kv.key.get().length >= Long.BYTES) {
          WindowAggregate a = serde.deserialize(kv.value);
          open.put(new WindowKey(a.key().format(), a.windowStart()), a);
        }
      }
    }
    loaded = true;
  }

  private static Bytes keyBytes(WindowKey k) {
    byte[] flag = k.flagKey().getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + flag.length).putLong(k.windowStart()).put(flag).array());
  }

  @Override
  public void flushCache() {
    if (!loaded) {
      return;
    }
    for (WindowKey k : dirty) {
      inner.put(keyBytes(k), serde.serialize(open.get(k)));
    }
    for (WindowKey k : deleted) {
      inner.delete(keyBytes(k));
    }
    if (watermarkDirty) {
      inner.put(WATERMARK_KEY, ByteBuffer.allocate(Long.BYTES).putLong(watermark).array());
    }
    for (Integer source : dirtySources) {
      inner.put(Bytes.wrap(ByteBuffer.allocate(1 + Integer.BYTES).put(SOURCE_PREFIX).putInt(source).array()),
          ByteBuffer.allocate(Long.BYTES).putLong(sourceWatermarks.get(source)).array());
    }
    dirty.clear();
    deleted.clear();
    dirtySources.clear();
    watermarkDirty = false;
  }

  @Override
  public void clearCache() {
    // Uncommitted changes are discarded; the objects are read again from the (restored) store on next use.
    resetObjects();
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
    return false;
  }

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    flushCache();
    inner.flush();
  }

  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    flushCache();
    inner.commit(changelogOffsets);
  }

  @Override
  public void close() {
    resetObjects();
    inner.close();
  }

  private void resetObjects() {
    open.clear();
    dirty.clear();
    deleted.clear();
    watermark = Long.MIN_VALUE;
    watermarkDirty = false;
    sourceWatermarks.clear();
    dirtySources.clear();
    loaded = false;
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return inner.isOpen();
  }

  /** Builds one store per task; logging is always on (the windows must survive a crash), caching is built in. */
  private static final class Builder implements StoreBuilder<WindowAggregateStore> {
    private final String name;
    private final Map<String, String> logConfig;

    Builder(String name, Map<String, String> logConfig) {
      this.name = name;
      this.logConfig = logConfig;
    }

    @Override
    public StoreBuilder<WindowAggregateStore> withCachingEnabled() {
      return this;
    }

    @Override
    public StoreBuilder<WindowAggregateStore> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<WindowAggregateStore> withLoggingEnabled(Map<String, String> config) {
      return new Builder(name, Map.copyOf(config));
    }

    @Override
    public StoreBuilder<WindowAggregateStore> withLoggingDisabled() {
      throw new UnsupportedOperationException("the window store must be changelogged: it is the only copy of open windows");
    }

    @Override
    public WindowAggregateStore build() {
      return new WindowAggregateStore(name, logConfig);
    }

    @Override
    public Map<String, String> logConfig() {
      return logConfig;
    }

    @Override
    public boolean loggingEnabled() {
      return true;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
