package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The reader against files NumPy itself wrote (src/test/resources/numpy/make-golden.py): value k /
 * 8 (floats) or k (integers) at flat index k of a (2, 3, 4) array.
 */
class NumpyReaderTest {
  private static final Path GOLDEN = Path.of("src/test/resources/numpy");

  private static NumpyReader.Array read(String file) throws IOException {
    try (InputStream in = Files.newInputStream(GOLDEN.resolve(file))) {
      return NumpyReader.read(in, file);
    }
  }

  @Test
  void everyDtypeOfNumpysOwnNpzReadsExactly() throws IOException {
    for (String archive : new String[] {"golden.npz", "golden-compressed.npz"}) {
      try (ZipFile zip = new ZipFile(GOLDEN.resolve(archive).toFile())) {
        for (String dtype : new String[] {"u1", "i4", "i8", "f4", "f8"}) {
          NumpyReader.Array a;
          try (InputStream in = zip.getInputStream(zip.getEntry(dtype + ".npy"))) {
            a = NumpyReader.read(in, archive + "[" + dtype + "]");
          }
          assertThat(a.shape()).as(archive + " " + dtype).containsExactly(2, 3, 4);
          float[] features = a.features();
          for (int k = 0; k < 24; k++) {
            float expected = dtype.startsWith("f") ? k / 8f : k / 255f;
            assertThat(features[k]).as(archive + " " + dtype + " at " + k).isEqualTo(expected);
          }
        }
        try (InputStream in = zip.getInputStream(zip.getEntry("labels.npy"))) {
          assertThat(NumpyReader.read(in, "labels").labels()).containsExactly(1, 0);
        }
      }
    }
    assertThat(read("f4.npy").features()[23]).isEqualTo(23 / 8f);
  }

  @Test
  void fortranOrderPickledObjectsAndOtherDtypesAreRefusedWithTheFix() {
    assertThatThrownBy(() -> read("fortran.npy"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fortran.npy")
        .hasMessageContaining("Fortran")
        .hasMessageContaining("np.ascontiguousarray");
    assertThatThrownBy(() -> read("objects.npy"))
        .hasMessageContaining("objects.npy")
        .hasMessageContaining("pickled")
        .hasMessageContaining("|O");
    assertThatThrownBy(() -> read("big-endian.npy"))
        .hasMessageContaining("big-endian.npy")
        .hasMessageContaining(">f4")
        .hasMessageContaining("astype('<f4')");
    assertThatThrownBy(() -> read("float16.npy"))
        .hasMessageContaining("float16.npy")
        .hasMessageContaining("<f2")
        .hasMessageContaining("float32");
  }

  @Test
  void floatLabelsAndIntegerFeaturesBeyondAByteAreRefused() throws IOException {
    assertThatThrownBy(() -> read("f4.npy").labels())
        .hasMessageContaining("f4.npy")
        .hasMessageContaining("labels must be integers");
    java.nio.ByteBuffer data =
        java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    data.putLong(300);
    byte[] npy = FashionMnistSlice.npy("<i8", new long[] {1, 1}, data.array());
    NumpyReader.Array a = NumpyReader.read(new java.io.ByteArrayInputStream(npy), "wide.npy");
    assertThatThrownBy(a::features)
        .hasMessageContaining("wide.npy")
        .hasMessageContaining("300")
        .hasMessageContaining("float32");
  }
}
