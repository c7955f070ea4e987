package dev.rollguard.streams.windows;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitions the repartition topic: a partial window by its flag key, exactly as without a partitioner (the
 * producer's murmur2 of the key), and a {@link SourceWatermark} to every partition, so each aggregator task hears
 * every intake task's progress, also when none of that task's recent events had a key of its partition.
 *
 * <p>It also remembers the topic's partition count, which is the number of intake tasks (Streams sizes a repartition
 * topic like its sub-topology's largest input), so the intake can tell the aggregator how many sources to wait for.
 * One instance serves every task of the topology; the count is the same for all.
 */
final class WatermarkPartitioner implements StreamPartitioner<String, RepartitionRecord> {
  private volatile Set<Integer> all = Set.of();

  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, RepartitionRecord value, int numPartitions) {
    Set<Integer> current = all;
    if (current.size() != numPartitions) {
      current = IntStream.range(0, numPartitions).boxed().collect(Collectors.toUnmodifiableSet());
      all = current;
    }
    return value instanceof SourceWatermark ? Optional.of(current) : Optional.empty();
  }

  /** The repartition topic's partition count, once a record has been sent through it; 0 before. */
  int partitionCount() {
    return all.size();
  }
}
