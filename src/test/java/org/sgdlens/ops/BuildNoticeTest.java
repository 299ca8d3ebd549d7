package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first launch builds the project, silently in Maven's quiet mode: the launcher says so, says
 * it is still at work while the build runs, and says when it is done. Checked on a copy of the
 * launchers whose Maven is a stand-in that takes three seconds and writes the build's outputs.
 */
class BuildNoticeTest {
  @TempDir Path project;

  @Test
  void aSlowBuildIsAnnouncedKeptAliveAndTimed() throws IOException, InterruptedException {
    copy(Launchers.projectDir().resolve("jobs"), project.resolve("jobs"));
    Files.createDirectories(project.resolve("src/main"));
    Files.createDirectories(project.resolve("schemas"));
    Files.createDirectories(project.resolve("conf"));
    Files.writeString(project.resolve("pom.xml"), "<project/>\n");
    Path mvn = project.resolve("fake-mvn");
    Files.writeString(
        mvn,
        "#!/usr/bin/env bash\n"
            + "sleep 3\n"
            + "mkdir -p target && touch target/sgdlens.jar\n"
            + "echo /x.jar > target/ship-jars.txt && echo /y.jar > target/spark-jars.txt\n");
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder builder =
        new ProcessBuilder(project.resolve("jobs/train").toString(), "--help")
            .redirectErrorStream(true);
    builder.environment().put("MVN", mvn.toString());
    builder.environment().put("SGDLENS_BUILD_TICK", "1");
    builder.environment().put("SGDLENS_DRY_RUN", "1");
    builder.environment().remove("SGDLENS_JAR");
    builder.environment().remove("SGDLENS_CLASSPATH");
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("launcher finished").isTrue();
    assertThat(p.exitValue()).as("exit status: %s", out).isZero();
    assertThat(out)
        .as("the build is announced, kept alive and timed")
        .contains("sgdlens: building ")
        .containsPattern("sgdlens: still building \\([0-9]+ s; mvn package\\)")
        .containsPattern("sgdlens: built in [0-9]+ s");
  }

  private static void copy(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path source : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
