package org.sgdlens.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Runs the real launchers in {@code jobs/} from tests. The launchers would build the application
 * jar with Maven, which cannot run inside Maven's own test phase, so tests hand them a jar made
 * from {@code target/classes} (SGDLENS_JAR) and the test JVM's classpath (SGDLENS_CLASSPATH);
 * everything else (option splitting, conf files, master default, SparkSubmit) is the real path.
 */
public final class Launchers {
  /** Exit code, stdout and stderr of one launcher run. */
  public record Run(int exitCode, String stdout, String stderr) {
    public String describe() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + tail(stderr);
    }

    private static String tail(String text) {
      return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }
  }

  private static Path appJar;

  private Launchers() {}

  /** The project folder (Surefire passes it; falls back to the working folder). */
  public static Path projectDir() {
    return Path.of(System.getProperty("sgdlens.project.dir", ".")).toAbsolutePath().normalize();
  }

  /** The test JVM's classpath as a launcher classpath (includes Spark, Hive, the test classes). */
  public static String testClasspath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank()
        ? surefire
        : System.getProperty("java.class.path");
  }

  /** A jar of target/classes, built once per JVM: what mvn package would produce. */
  public static synchronized Path appJar() {
    if (appJar != null) {
      return appJar;
    }
    Path classes = projectDir().resolve("target/classes");
    try {
      Path jar = Files.createTempFile("sgdlens-test-app", ".jar");
      jar.toFile().deleteOnExit();
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
          Stream<Path> files = Files.walk(classes)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
          out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
          Files.copy(file, out);
          out.closeEntry();
        }
      }
      appJar = jar;
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot build the test application jar from " + classes, e);
    }
  }

  /**
   * Runs {@code jobs/<job> args...} and waits (at most {@code timeoutSeconds}; then the launcher's
   * whole process group is killed).
   */
  public static Run run(String job, Map<String, String> env, long timeoutSeconds, String... args) {
    List<String> command = new ArrayList<>();
    // setsid: the launcher and its JVM get their own process group, so a timeout can end both.
    command.add("setsid");
    command.add("--wait");
    command.add("bash");
    command.add(projectDir().resolve("jobs").resolve(job).toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(projectDir().toFile());
    Map<String, String> environment = builder.environment();
    environment.remove("SPARK_HOME");
    environment.remove("SPARK_CONF_DIR");
    environment.put("SGDLENS_SPARK_SUBMIT", "embedded");
    environment.put("SGDLENS_JAR", appJar().toString());
    environment.put("SGDLENS_CLASSPATH", testClasspath());
    environment.put("SGDLENS_JAVA_OPTS", "-Xmx2g");
    environment.putAll(env);
    try {
      Path out = Files.createTempFile("sgdlens-launcher", ".out");
      Path err = Files.createTempFile("sgdlens-launcher", ".err");
      builder.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process process = builder.start();
      try {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          killGroup(process);
          throw new AssertionError(
              "jobs/"
                  + job
                  + " did not finish in "
                  + timeoutSeconds
                  + " s; stderr:\n"
                  + Files.readString(err));
        }
      } finally {
        if (process.isAlive()) {
          killGroup(process);
        }
      }
      Run run =
          new Run(
              process.exitValue(),
              Files.readString(out, StandardCharsets.UTF_8),
              Files.readString(err, StandardCharsets.UTF_8));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return run;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Ends a process started with setsid and everything in its process group. */
  static void killGroup(Process process) {
    try {
      new ProcessBuilder("kill", "-TERM", "--", "-" + process.pid()).start().waitFor();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        new ProcessBuilder("kill", "-KILL", "--", "-" + process.pid()).start().waitFor();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** Writes text to a file and returns it (for properties files and SQL scripts). */
  public static Path write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether jobs/lib/blas.sh finds libblas.so.3 and liblapack.so.3 on this machine. */
  public static boolean nativeBlas() {
    try {
      Process p =
          new ProcessBuilder(
                  "bash",
                  "-c",
                  "source \"$1\" && sgdlens_has_native_blas",
                  "blas",
                  projectDir().resolve("jobs/lib/blas.sh").toString())
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
