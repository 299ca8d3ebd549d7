package org.sgdlens.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.apache.parquet.io.PositionOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirectOutputFileTest {
  @TempDir Path dir;

  /**
   * A buffer is exactly BUFFER_BYTES even when its allocation starts aligned, the case where
   * {@code alignedSlice} keeps ALIGNMENT bytes more (it made the stream's position drift by 4 KiB
   * per buffer and broke Parquet footers now and then, when malloc happened to return an aligned
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
    for (java.nio.ByteBuffer raw : new java.nio.ByteBuffer[] {alignedStart, java.nio.ByteBuffer.allocateDirect(size)}) {
      java.nio.ByteBuffer b = DirectOutputFile.alignedBuffer(raw);
      assertThat(b.capacity()).isEqualTo(DirectOutputFile.BUFFER_BYTES);
      assertThat(b.alignmentOffset(0, DirectOutputFile.ALIGNMENT)).isZero();
    }
  }

  /** Lengths around the alignment and the buffer size, written in uneven pieces and single bytes. */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void writesExactlyTheBytesGivenWhateverTheLengthAndAlignment(boolean direct) throws Exception {
    int buffer = DirectOutputFile.BUFFER_BYTES;
    int align = DirectOutputFile.ALIGNMENT;
    int[] lengths = {0, 1, align - 1, align, align + 1, buffer - 1, buffer, buffer + 1, 2 * buffer + 3 * align + 5};
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
      assertThat(Files.readAllBytes(file)).as("%d bytes, direct=%s", length, direct).isEqualTo(expected);
    }
  }

  /**
   * A second file system (tmpfs; kernels before 6.6 refuse O_DIRECT on it, and the file is then
   * written with buffered writes): the same bytes either way.
   */
  @Test
  void writesTheSameBytesOnTmpfs() throws Exception {
    Path shm = Path.of("/dev/shm");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no /dev/shm");
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
}
