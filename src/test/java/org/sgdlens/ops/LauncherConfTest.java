package org.sgdlens.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented precedence of Spark settings holds through the real launcher: command-line {@code
 * --conf} > properties file > code default (sgdlens's own or Spark's), and the launcher's {@code
 * --master local[2]} applies only when neither the command line nor the properties file names a
 * master. The job reports the effective values with SQL {@code SET key}.
 */
class LauncherConfTest {
  private static final String PARTITIONS = "spark.sql.shuffle.partitions";
  private static final String WAREHOUSE = "spark.sql.warehouse.dir";

  @TempDir Path temp;

  @Test
  void defaultsComeFromConfSparkDefaultsTheLauncherAndTheCode() {
    Path lake = temp.resolve("lake");
    Launchers.Run run = set(lake, Map.of());
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(value(run, PARTITIONS))
        .as("conf/spark-defaults.conf (4) beats Spark's code default (200)")
        .isEqualTo(sparkDefaults(PARTITIONS))
        .isNotEqualTo("200");
    assertThat(value(run, "spark.master"))
        .as("no master anywhere: the launcher's local[2]")
        .isEqualTo("local[2]");
    assertThat(Path.of(java.net.URI.create(value(run, WAREHOUSE))))
        .as("sgdlens's code default puts the warehouse inside the lake's catalog folder")
        .isEqualTo(lake.toAbsolutePath().resolve("_catalog/warehouse"));
  }

  @Test
  void commandLineBeatsPropertiesFileWhichBeatsCodeDefaults() {
    Path lake = temp.resolve("lake");
    Path props =
        Launchers.write(
            temp.resolve("my.conf"),
            String.join(
                "\n",
                PARTITIONS + " 7",
                "spark.master local[1]",
                WAREHOUSE + "=file:/tmp/from-properties-file",
                "spark.ui.enabled false",
                ""));
    Launchers.Run run =
        set(lake, Map.of(), "--properties-file", props.toString(), "--conf", PARTITIONS + "=5");
    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(value(run, PARTITIONS)).as("--conf 5 beats the properties file's 7").isEqualTo("5");
    assertThat(value(run, "spark.master"))
        .as("the properties file's master beats the launcher default")
        .isEqualTo("local[1]");
    assertThat(value(run, WAREHOUSE))
        .as("the properties file beats sgdlens's code default")
        .isEqualTo("file:/tmp/from-properties-file");
  }

  private static Launchers.Run set(Path lake, Map<String, String> env, String... sparkArgs) {
    try {
      java.nio.file.Files.createDirectories(lake); // jobs/sql refuses a lake folder that is missing
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String[] args = new String[sparkArgs.length + 5];
    System.arraycopy(sparkArgs, 0, args, 0, sparkArgs.length);
    int i = sparkArgs.length;
    args[i++] = "--lake";
    args[i++] = lake.toString();
    args[i++] = "--no-refresh";
    args[i++] = "-e";
    args[i] = "SET " + PARTITIONS + "; SET spark.master; SET " + WAREHOUSE;
    return Launchers.run("sql", env, 240, args);
  }

  /** The value column of a "key | value" line the sql command printed for SET key. */
  private static String value(Launchers.Run run, String key) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*\\|\\s*(\\S+)\\s*$")
            .matcher(run.stdout());
    assertThat(m.find()).as("SET %s printed; %s", key, run.describe()).isTrue();
    return m.group(1);
  }

  private static String sparkDefaults(String key) {
    try {
      for (String line :
          java.nio.file.Files.readAllLines(
              Launchers.projectDir().resolve("conf/spark-defaults.conf"))) {
        String[] parts = line.trim().split("\\s+", 2);
        if (parts.length == 2 && parts[0].equals(key)) {
          return parts[1].trim();
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new AssertionError(key + " is not in conf/spark-defaults.conf");
  }
}
