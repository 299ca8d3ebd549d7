package org.sgdlens.lake;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.apache.parquet.bytes.ByteBufferAllocator;

/**
 * Heap buffers for Parquet's page and column-chunk buffers, reused by size instead of allocated
 * fresh for every page. A recorder writes gigabytes through the same few buffer sizes; fresh arrays
 * would be zeroed, then copied by the garbage collector while they wait in a row group. At most
 * {@code maxPooledBytes} are kept; released buffers beyond that are left to the collector.
 */
final class PooledAllocator implements ByteBufferAllocator {
  private final long maxPooledBytes;
  private final Map<Integer, ArrayDeque<ByteBuffer>> free = new HashMap<>();
  private long pooledBytes;

  PooledAllocator(long maxPooledBytes) {
    this.maxPooledBytes = maxPooledBytes;
  }

  @Override
  public synchronized ByteBuffer allocate(int size) {
    ArrayDeque<ByteBuffer> same = free.get(size);
    ByteBuffer buffer = same == null ? null : same.poll();
    if (buffer == null) {
      return ByteBuffer.allocate(size);
    }
    pooledBytes -= size;
    buffer.clear();
    return buffer.order(java.nio.ByteOrder.BIG_ENDIAN);
  }

  @Override
  public synchronized void release(ByteBuffer buffer) {
    int size = buffer.capacity();
    if (buffer.isDirect() || pooledBytes + size > maxPooledBytes) {
      return;
    }
    free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(buffer);
    pooledBytes += size;
  }

  @Override
  public boolean isDirect() {
    return false;
  }

  synchronized long pooledBytes() {
    return pooledBytes;
  }
}
