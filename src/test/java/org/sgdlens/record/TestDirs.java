package org.sgdlens.record;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Folders for state shared by the tests of a JVM (JUnit's @TempDir is per test or class). */
final class TestDirs {
  private TestDirs() {}

  static Path fresh(String prefix) {
    try {
      Path dir = Files.createTempDirectory("sgdlens-" + prefix);
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
