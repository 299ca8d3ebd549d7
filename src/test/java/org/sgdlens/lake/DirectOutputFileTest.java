package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.parquet.io.PositionOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirectOutputFileTest {
  @TempDir Path dir;

  /**
   * A buffer is exactly BUFFER_BYTES even when its allocation starts aligned, the case where {@code
   * alignedSlice} keeps ALIGNMENT bytes more (it made the stream's position drift by 4 KiB per
   * buffer and broke Parquet footers now and then, when malloc happened to return an aligned
   * block).
   */
  @Test
  void aBufferIsExactlyBufferBytesEvenFromAnAlignedAllocation() {
    int size = DirectOutputFile.BUFFER_BYTES + DirectOutputFile.ALIGNMENT;
    java.nio.ByteBuffer alignedStart =
        java.nio.ByteBuffer.allocateDirect(size + DirectOutputFile.ALIGNMENT)
            .alignedSlice(DirectOutputFile.ALIGNMENT)
            .slice(0, size);
    assertThat(alignedStart.alignmentOffset(0, DirectOutputFile.ALIGNMENT)).isZero();
    assertThat(alignedStart.alignedSlice(DirectOutputFile.ALIGNMENT).capacity())
        .as("the trap: alignedSlice of an aligned allocation keeps everything")
        .isEqualTo(size);
    for (java.nio.ByteBuffer raw :
        new java.nio.ByteBuffer[] {alignedStart, java.nio.ByteBuffer.allocateDirect(size)}) {
      java.nio.ByteBuffer b = DirectOutputFile.alignedBuffer(raw);
      assertThat(b.capacity()).isEqualTo(DirectOutputFile.BUFFER_BYTES);
      assertThat(b.alignmentOffset(0, DirectOutputFile.ALIGNMENT)).isZero();
    }
  }

  /**
   * Lengths around the alignment and the buffer size, written in uneven pieces and single bytes.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void writesExactlyTheBytesGivenWhateverTheLengthAndAlignment(boolean direct) throws Exception {
    int buffer = DirectOutputFile.BUFFER_BYTES;
    int align = DirectOutputFile.ALIGNMENT;
    int[] lengths = {
      0, 1, align - 1, align, align + 1, buffer - 1, buffer, buffer + 1, 2 * buffer + 3 * align + 5
    };
    SplittableRandom random = new SplittableRandom(7);
    for (int length : lengths) {
      byte[] expected = new byte[length];
      random.nextBytes(expected);
      Path file = dir.resolve("sub").resolve(direct + "-" + length + ".bin");
      try (PositionOutputStream out = new DirectOutputFile(file, direct).createOrOverwrite(0)) {
        int at = 0;
        while (at < length) {
          if (random.nextInt(4) == 0) {
            out.write(expected[at++]);
          } else {
            int n = Math.min(length - at, 1 + random.nextInt(3 * align));
            out.write(expected, at, n);
            at += n;
          }
          assertThat(out.getPos()).isEqualTo(at);
        }
      }
      assertThat(Files.readAllBytes(file))
          .as("%d bytes, direct=%s", length, direct)
          .isEqualTo(expected);
    }
  }

  /**
   * A second file system (tmpfs; kernels before 6.6 refuse O_DIRECT on it, and the file is then
   * written with buffered writes): the same bytes either way.
   */
  @Test
  void writesTheSameBytesOnTmpfs() throws Exception {
    Path shm = Path.of("/dev/shm");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(shm) && Files.isWritable(shm), "no /dev/shm");
    Path file = Files.createTempFile(shm, "sgdlens-direct", ".bin");
    try {
      byte[] expected = new byte[DirectOutputFile.BUFFER_BYTES * 3 + 17];
      new SplittableRandom(5).nextBytes(expected);
      try (PositionOutputStream out = new DirectOutputFile(file, true).createOrOverwrite(0)) {
        out.write(expected, 0, expected.length);
      }
      assertThat(Files.readAllBytes(file)).isEqualTo(expected);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void overwriteReplacesALongerFileAndCreateRefusesAnExistingOne() throws Exception {
    Path file = dir.resolve("f.bin");
    Files.write(file, new byte[3 * DirectOutputFile.ALIGNMENT]);
    try (PositionOutputStream out = new DirectOutputFile(file, true).createOrOverwrite(0)) {
      out.write(new byte[] {1, 2, 3});
    }
    assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> new DirectOutputFile(file, true).create(0))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readAllBytes(file)).as("left as it was").containsExactly(1, 2, 3);
  }

  /**
   * A file system that accepts O_DIRECT at open and refuses the writes (after {@code accepted} of
   * them, some perhaps still in flight): the rest of the file goes through one buffered channel,
   * opened once, and the file holds exactly the bytes given. Lengths reach past IN_FLIGHT buffers,
   * so refusals meet writes queued on several I/O threads.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 9})
  void aDeviceThatRefusesDirectWritesGetsTheSameBytesBuffered(int accepted) throws Exception {
    int buffer = DirectOutputFile.BUFFER_BYTES;
    int[] lengths = {
      DirectOutputFile.ALIGNMENT + 5,
      3 * buffer + 17,
      (DirectOutputFile.IN_FLIGHT + 3) * buffer + 4099
    };
    SplittableRandom random = new SplittableRandom(accepted);
    for (int length : lengths) {
      byte[] expected = new byte[length];
      random.nextBytes(expected);
      Path file = dir.resolve(accepted + "-" + length + ".bin");
      AtomicInteger bufferedOpens = new AtomicInteger();
      DirectOutputFile.Opener opener =
          (path, options) -> {
            if (Arrays.asList(options).contains(ExtendedOpenOption.DIRECT)) {
              return new FailingChannel(FileChannel.open(path, options), accepted);
            }
            bufferedOpens.incrementAndGet();
            return FileChannel.open(path, options);
          };
      try (PositionOutputStream out =
          new DirectOutputFile(file, true, opener).createOrOverwrite(0)) {
        for (int at = 0; at < length; ) {
          int n = Math.min(length - at, 1 + random.nextInt(buffer / 3));
          out.write(expected, at, n);
          at += n;
        }
      }
      assertThat(Files.readAllBytes(file))
          .as("%d bytes, %d direct writes accepted", length, accepted)
          .isEqualTo(expected);
      int directWrites = (length + buffer - 1) / buffer;
      assertThat(bufferedOpens.get())
          .as("one buffered channel, opened only when a direct write was refused")
          .isEqualTo(directWrites > accepted ? 1 : 0);
    }
  }

  /**
   * When the buffered writes fail as well (a full disk, a lost mount), the writer hears of it: the
   * stream's close throws the device's error instead of leaving a short file behind quietly.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aFailureOfTheBufferedWritesReachesTheWriter(boolean direct) throws Exception {
    Path file = dir.resolve("full-" + direct + ".bin");
    DirectOutputFile.Opener opener =
        (path, options) -> {
          boolean directOpen = Arrays.asList(options).contains(ExtendedOpenOption.DIRECT);
          return new FailingChannel(FileChannel.open(path, options), directOpen ? 1 : 0);
        };
    byte[] bytes = new byte[3 * DirectOutputFile.BUFFER_BYTES + 1];
    assertThatThrownBy(
            () -> {
              try (PositionOutputStream out =
                  new DirectOutputFile(file, direct, opener).createOrOverwrite(0)) {
                out.write(bytes, 0, bytes.length);
              }
            })
        .isInstanceOf(IOException.class)
        .hasMessageContaining("refused");
  }

  /** A channel whose positional writes succeed {@code accepted} times, then fail for good. */
  private static final class FailingChannel extends FileChannel {
    private final FileChannel real;
    private final AtomicInteger accepted;

    FailingChannel(FileChannel real, int accepted) {
      this.real = real;
      this.accepted = new AtomicInteger(accepted);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      if (accepted.getAndDecrement() <= 0) {
        throw new IOException("write refused (test device)");
      }
      return real.write(src, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      throw new IOException("write refused (test device): only positional writes expected");
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      throw new IOException("write refused (test device): only positional writes expected");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return real.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return real.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return real.read(dst, position);
    }

    @Override
    public long position() throws IOException {
      return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      real.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      real.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      real.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target)
        throws IOException {
      return real.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count)
        throws IOException {
      return real.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return real.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return real.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return real.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      real.close();
    }
  }
}
