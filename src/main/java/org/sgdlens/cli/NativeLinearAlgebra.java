package org.sgdlens.cli;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.lapack.LAPACK;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Which BLAS and LAPACK netlib (dev.ludovic.netlib, used by Spark MLlib and the PCA kernels) runs
 * on, in one line, instead of the two "dlopen(libblas.so.3) failed" warnings it logs through
 * java.util.logging when the machine has no system BLAS.
 */
final class NativeLinearAlgebra {
  /** netlib's loggers; held so the level set here is not lost when the logger is collected. */
  private static final Logger NETLIB = Logger.getLogger("dev.ludovic.netlib");

  private NativeLinearAlgebra() {}

  /** Silences netlib's fallback warnings; call before the first BLAS use. */
  static void quiet() {
    NETLIB.setLevel(Level.SEVERE);
  }

  /** For example "BLAS JNIBLAS (native), LAPACK JNILAPACK (native)". */
  static String describe() {
    quiet();
    String blas = BLAS.getInstance().getClass().getSimpleName();
    String lapack = LAPACK.getInstance().getClass().getSimpleName();
    boolean nativeBoth = blas.startsWith("JNI") && lapack.startsWith("JNI");
    return "BLAS "
        + blas
        + (blas.startsWith("JNI") ? " (native)" : " (Java)")
        + ", LAPACK "
        + lapack
        + (lapack.startsWith("JNI") ? " (native)" : " (Java)")
        + (nativeBoth ? "" : "; for native ones: sudo apt-get install -y libopenblas0");
  }
}
