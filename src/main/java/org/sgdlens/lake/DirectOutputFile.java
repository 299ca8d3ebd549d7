package org.sgdlens.lake;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A Parquet {@link OutputFile} on the local file system that writes with {@code O_DIRECT}: the
 * bytes go from an aligned buffer straight to the device instead of being copied into the page
 * cache. On the machines we measured, filling the page cache with a run's new data costs the
 * writing thread about 2 CPU-seconds per GB (the kernel allocates and zeroes fresh pages), while
 * direct writes cost about 0.1 (docs/benchmarks.md, "Writing without the page cache"). Recording
 * writes gigabytes that nobody reads back until an analysis runs, so the page cache buys nothing
 * there.
 *
 * <p>Where the file system refuses {@code O_DIRECT} (tmpfs, some network mounts) the file is
 * written with ordinary buffered writes instead; the bytes on disk are the same either way.
 */
final class DirectOutputFile implements OutputFile {
  /** Buffer per open file: large enough that each write is one efficient device request. */
  static final int BUFFER_BYTES = 2 << 20;

  /** Writes queued per file before the writer waits for the oldest. */
  static final int IN_FLIGHT = 8;

  /** Alignment of buffers, file offsets and lengths for O_DIRECT (logical block size or more). */
  static final int ALIGNMENT = 4096;

  private static final ConcurrentLinkedQueue<ByteBuffer> POOL = new ConcurrentLinkedQueue<>();

  /** Threads that wait for the device while writers fill their next buffer. */
  private static final ExecutorService IO =
      Executors.newCachedThreadPool(
          task -> {
            Thread t = new Thread(task, "sgdlens-direct-io");
            t.setDaemon(true);
            return t;
          });

  private final Path path;
  private final boolean direct;
  private final Opener opener;

  /** Opens a file's channel: {@code FileChannel::open}, or a test's stand-in for a device. */
  @FunctionalInterface
  interface Opener {
    FileChannel open(Path path, OpenOption... options) throws IOException;
  }

  /** Write local lake files with O_DIRECT, bypassing the page cache (default true). */
  public static final String DIRECT_IO = "sgdlens.lake.direct-io";

  /**
   * Where a lake file is written: local files with direct I/O unless {@value #DIRECT_IO} is false
   * (Hadoop configuration or Java system property), other file systems through Hadoop.
   */
  static OutputFile forPath(
      org.apache.hadoop.fs.Path path, org.apache.hadoop.conf.Configuration conf)
      throws IOException {
    boolean direct =
        conf.getBoolean(DIRECT_IO, Boolean.parseBoolean(System.getProperty(DIRECT_IO, "true")));
    if ("file".equals(path.toUri().getScheme())) {
      return new DirectOutputFile(Path.of(path.toUri()), direct);
    }
    return org.apache.parquet.hadoop.util.HadoopOutputFile.fromPath(path, conf);
  }

  DirectOutputFile(Path path, boolean direct) {
    this(path, direct, FileChannel::open);
  }

  DirectOutputFile(Path path, boolean direct, Opener opener) {
    this.path = path;
    this.direct = direct;
    this.opener = opener;
  }

  @Override
  public PositionOutputStream create(long blockSizeHint) throws IOException {
    return open(StandardOpenOption.CREATE_NEW);
  }

  @Override
  public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
    return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  @Override
  public boolean supportsBlockSize() {
    return false;
  }

  @Override
  public long defaultBlockSize() {
    return 0;
  }

  @Override
  public String getPath() {
    return path.toString();
  }

  private PositionOutputStream open(OpenOption... creation) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (creation[0] == StandardOpenOption.CREATE_NEW && Files.exists(path)) {
      throw new FileAlreadyExistsException(path.toString());
    }
    FileChannel channel = null;
    if (direct) {
      try {
        channel =
            opener.open(path, with(creation, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT));
      } catch (IOException | UnsupportedOperationException e) {
        channel = null; // the file system refuses O_DIRECT: buffered writes below
      }
    }
    boolean isDirect = channel != null;
    if (channel == null) {
      channel = opener.open(path, with(creation, StandardOpenOption.WRITE));
    }
    return new Stream(path, channel, isDirect, opener);
  }

  private static OpenOption[] with(OpenOption[] creation, OpenOption... more) {
    OpenOption[] all = new OpenOption[creation.length + more.length];
    System.arraycopy(creation, 0, all, 0, creation.length);
    System.arraycopy(more, 0, all, creation.length, more.length);
    return all;
  }

  private static ByteBuffer borrow() {
    ByteBuffer buffer = POOL.poll();
    if (buffer == null) {
      buffer = alignedBuffer(ByteBuffer.allocateDirect(BUFFER_BYTES + ALIGNMENT));
    }
    buffer.clear();
    return buffer;
  }

  /**
   * Exactly {@link #BUFFER_BYTES} of {@code raw}, starting at an aligned address. {@code
   * alignedSlice} alone is not enough: when the allocation happens to start aligned, the slice
   * keeps all {@code BUFFER_BYTES + ALIGNMENT} bytes, and a stream counting whole buffers as {@code
   * BUFFER_BYTES} would lose track of its position (and overlap its writes).
   */
  static ByteBuffer alignedBuffer(ByteBuffer raw) {
    return raw.alignedSlice(ALIGNMENT).slice(0, BUFFER_BYTES);
  }

  /**
   * Buffers writes and hands the device whole aligned buffers. A full buffer is written by a
   * background thread while the caller fills the next one: a direct write blocks until the device
   * has the data, and the writer thread should spend that time encoding, not waiting. The tail is
   * padded to the alignment, written, and the file truncated back to its true length.
   */
  private static final class Stream extends PositionOutputStream {
    private final Path path;
    private final Opener opener;
    private volatile FileChannel channel;
    private volatile boolean direct;
    private FileChannel refused;
    private ByteBuffer buffer = borrow();

    /** Buffers being written, oldest first, each with its write. */
    private final java.util.ArrayDeque<ByteBuffer> writing = new java.util.ArrayDeque<>();

    private final java.util.ArrayDeque<Future<?>> pending = new java.util.ArrayDeque<>();
    private long flushed;

    Stream(Path path, FileChannel channel, boolean direct, Opener opener) {
      this.path = path;
      this.opener = opener;
      this.channel = channel;
      this.direct = direct;
    }

    @Override
    public long getPos() {
      return flushed + buffer.position();
    }

    @Override
    public void write(int b) throws IOException {
      if (!buffer.hasRemaining()) {
        drain();
      }
      buffer.put((byte) b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      while (length > 0) {
        if (!buffer.hasRemaining()) {
          drain();
        }
        int n = Math.min(length, buffer.remaining());
        buffer.put(bytes, offset, n);
        offset += n;
        length -= n;
      }
    }

    /**
     * Queues the full buffer (a multiple of the alignment) and carries on in a free one. Up to
     * {@link #IN_FLIGHT} writes are queued, so the device stays busy while the writer thread is
     * descheduled; the extra buffers are taken only by files that outgrow the first one.
     */
    private void drain() throws IOException {
      ByteBuffer free = null;
      if (pending.size() == IN_FLIGHT) {
        awaitOldest();
        free = writing.poll();
      }
      ByteBuffer full = buffer;
      long at = flushed;
      full.flip();
      int bytes = full.remaining();
      writing.add(full);
      pending.add(
          IO.submit(
              () -> {
                writeFully(full, at);
                return null;
              }));
      flushed += bytes;
      buffer = free != null ? free : borrow();
      buffer.clear();
    }

    private void awaitOldest() throws IOException {
      try {
        pending.poll().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("Interrupted while writing " + path);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof IOException io ? io : new IOException("Cannot write " + path, cause);
      }
    }

    private void writeFully(ByteBuffer bytes, long start) throws IOException {
      long at = start;
      FileChannel target = channel;
      try {
        while (bytes.hasRemaining()) {
          at += target.write(bytes, at);
        }
      } catch (IOException e) {
        FileChannel fallback = fallBackFrom(target, e);
        bytes.position((int) (at - start));
        while (bytes.hasRemaining()) {
          at += fallback.write(bytes, at);
        }
      }
    }

    /**
     * A file system may accept O_DIRECT at open and refuse the write: every write from then on goes
     * through one buffered channel. The direct one is closed with the stream, after the writes
     * still using it.
     */
    private synchronized FileChannel fallBackFrom(FileChannel failed, IOException cause)
        throws IOException {
      if (failed == channel) {
        if (!direct) {
          throw cause;
        }
        refused = channel;
        channel = opener.open(path, StandardOpenOption.WRITE);
        direct = false;
      }
      return channel;
    }

    @Override
    public void flush() {
      // Bytes reach the file in whole buffers and at close; Parquet only flushes before close.
    }

    @Override
    public void close() throws IOException {
      if (buffer == null) {
        return;
      }
      try {
        IOException failure = null;
        while (!pending.isEmpty()) {
          try {
            awaitOldest();
          } catch (IOException e) {
            failure = failure == null ? e : failure;
          }
        }
        if (failure != null) {
          throw failure;
        }
        long length = getPos();
        int tail = buffer.position();
        if (tail > 0) {
          if (direct) {
            int padded = (tail + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            while (buffer.position() < padded) {
              buffer.put((byte) 0);
            }
          }
          buffer.flip();
          writeFully(buffer, flushed);
        }
        channel.truncate(length);
      } finally {
        channel.close();
        if (refused != null) {
          refused.close();
        }
        writing.add(buffer);
        for (ByteBuffer b : writing) {
          b.clear();
          POOL.offer(b);
        }
        writing.clear();
        buffer = null;
      }
    }
  }
}
