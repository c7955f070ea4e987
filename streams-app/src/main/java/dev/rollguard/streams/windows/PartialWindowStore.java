package dev.rollguard.streams.windows;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The intake task's pre-aggregation buffer: one {@link PartialWindow} per flag and window seen since the last flush.
 * Not changelogged: it only ever holds what the task processed in its current, uncommitted transaction.
 *
 * <p>Why that is exactly-once: {@link #flushCache()} hands the partials to the intake, which forwards them to the
 * repartition topic; Streams calls it in {@code StreamTask.prepareCommit}, before it flushes the producer and commits
 * the transaction holding the input offsets (the same hook {@link WindowAggregateStore} and Streams' own record cache
 * use). So a commit's input offsets and the partials of those inputs are in one transaction. A dirty close
 * ({@link #clearCache()}) drops the partials together with the uncommitted offsets: the inputs are read again.
 * Partials are only ever forwarded from that hook or a punctuation, never after a commit has started.
 */
public final class PartialWindowStore implements StateStore, CachedStateStore<Bytes, byte[]> {
  /** Flush order: oldest events first, so a newer window's partial cannot close an older one ahead of its partial. */
  private static final Comparator<PartialWindow> FLUSH_ORDER = Comparator.comparingLong(PartialWindow::maxTimestamp)
      .thenComparingLong(p -> p.aggregate().windowStart())
      .thenComparing(p -> p.aggregate().key().format());

  private record Key(FlagKey flag, long windowStart) {}

  private final String name;
  private final Map<Key, PartialWindow> partials = new HashMap<>();
  private Consumer<List<PartialWindow>> listener;
  private boolean open;

  PartialWindowStore(String name) {
    this.name = name;
  }

  public static StoreBuilder<PartialWindowStore> builder(String name) {
    return new Builder(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    partials.clear();
    // Registered so that Streams flushes it with the task; nothing to restore.
    context.register(root, (key, value) -> { });
    open = true;
  }

  /** Where flushed partials go, in flush order; set by the processor that forwards them. */
  public void onFlush(Consumer<List<PartialWindow>> listener) {
    this.listener = listener;
  }

  public void add(FlagKey key, long windowStart, long windowEnd, Observation o) {
    Key k = new Key(key, windowStart);
    PartialWindow p = partials.get(k);
    if (p == null) {
      p = new PartialWindow(new WindowAggregate(key, windowStart, windowEnd));
      partials.put(k, p);
    }
    p.add(o);
  }

  public int size() {
    return partials.size();
  }

  /** Hands every partial to the listener and empties the buffer. */
  public void flushPartials() {
    if (partials.isEmpty()) {
      return;
    }
    if (listener == null) {
      throw new IllegalStateException("partial windows of store " + name + " have nowhere to go: no flush listener");
    }
    List<PartialWindow> out = new ArrayList<>(partials.values());
    partials.clear();
    out.sort(FLUSH_ORDER);
    listener.accept(out);
  }

  @Override
  public void flushCache() {
    flushPartials();
  }

  @Override
  public void clearCache() {
    partials.clear();
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
    return false;
  }

  @Override
  public void close() {
    partials.clear();
    open = false;
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /** One buffer per task; never logged (see the class comment), caching is what it is. */
  private static final class Builder implements StoreBuilder<PartialWindowStore> {
    private final String name;

    Builder(String name) {
      this.name = name;
    }

    @Override
    public StoreBuilder<PartialWindowStore> withCachingEnabled() {
      return this;
    }

    @Override
    public StoreBuilder<PartialWindowStore> withCachingDisabled() {
      return this;
    }

    @Override
    public StoreBuilder<PartialWindowStore> withLoggingEnabled(Map<String, String> config) {
      throw new UnsupportedOperationException("partial windows need no changelog: they never outlive a transaction");
    }

    @Override
    public StoreBuilder<PartialWindowStore> withLoggingDisabled() {
      return this;
    }

    @Override
    public PartialWindowStore build() {
      return new PartialWindowStore(name);
    }

    @Override
    public Map<String, String> logConfig() {
      return Map.of();
    }

    @Override
    public boolean loggingEnabled() {
      return false;
    }

    @Override
    public String name() {
      return name;
    }
  }
}
