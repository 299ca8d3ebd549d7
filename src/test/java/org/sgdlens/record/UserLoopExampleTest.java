package org.sgdlens.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;
import org.sgdlens.lake.Tables;

/** docs/examples/UserLoop.java runs as the docs say (Java's single-file source launcher). */
class UserLoopExampleTest {
  @TempDir Path dir;

  @Test
  void theDocumentedUserLoopExampleRecordsARun() throws Exception {
    Path project = Path.of(System.getProperty("sgdlens.project.dir", "."));
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                javaBin,
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                project.resolve("docs/examples/UserLoop.java").toString(),
                dir.toString(),
                "2")
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("committed to");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("Run (\\S+) committed").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    String run = m.group(1);
    assertThat(run).startsWith("user-loop-example-");
    Lake lake = Lake.open(dir.toString());
    assertThat(lake.runStatus(run)).contains("COMMITTED");
    assertThat(LakeReader.rows(lake, Tables.GRADIENTS, run)).isNotEmpty();
    assertThat(LakeReader.rows(lake, Tables.SAMPLE_LOSSES, run)).isNotEmpty();
    assertThat(LakeReader.rows(lake, Tables.PARAM_LAYOUT, run)).hasSize(4);
  }
}
