package org.sgdlens.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Locates the conf/ folder: $SGDLENS_CONF_DIR, -Dsgdlens.conf.dir, or ./conf. */
public final class ConfDir {
  private ConfDir() {}

  public static Optional<Path> file(String name) {
    String dir = System.getProperty("sgdlens.conf.dir", System.getenv("SGDLENS_CONF_DIR"));
    Path base = dir != null && !dir.isBlank() ? Path.of(dir) : Path.of("conf");
    Path file = base.resolve(name);
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }
}
