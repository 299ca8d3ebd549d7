package org.sgdlens.cli;

/** Lets tests in other packages call a job's package-private {@code run(args)}. */
public final class CliAccess {
  private CliAccess() {}

  public static int run(String job, String... args) throws Exception {
    return switch (job) {
      case "order-params" -> OrderParamsJob.run(args);
      case "phases" -> PhasesJob.run(args);
      case "loss-separation" -> LossSeparationJob.run(args);
      case "clean" -> CleanJob.run(args);
      case "report" -> ReportJob.run(args);
      default -> throw new IllegalArgumentException("no job " + job);
    };
  }

  /** A job's {@code run(args)} as a {@link JobMain.Body}, for exit-code tests. */
  public static JobMain.Body body(String job) {
    return args -> run(job, args);
  }
}
