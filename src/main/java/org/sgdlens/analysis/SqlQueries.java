package org.sgdlens.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Runs SQL over the lake's catalog: refreshes the catalog, then executes statements in order. Every
 * statement's first rows come back for printing; the last statement's full result can be written to
 * CSV or Parquet instead.
 */
public final class SqlQueries {
  /** Formats the {@code --output} of a query can take. */
  public enum Format {
    CSV,
    PARQUET;

    public static Format parse(String name) {
      for (Format f : values()) {
        if (f.name().equalsIgnoreCase(name)) {
          return f;
        }
      }
      throw new IllegalArgumentException(
          "--format is '" + name + "'; use --format csv or --format parquet");
    }
  }

  /**
   * @param lakeRoot the lake whose tables are registered
   * @param statements SQL statements, run in order
   * @param limit rows of each result kept for printing
   * @param output folder the last statement's result is written to, or null to print it
   * @param format format of {@code output}
   * @param refresh whether to refresh the catalog first (off: query what is registered already)
   */
  public record Options(
      String lakeRoot,
      List<String> statements,
      int limit,
      String output,
      Format format,
      boolean refresh) {
    public static final int LIMIT_DEFAULT = 100;

    /** {@link Format#CSV}, with a header line. */
    public static final String FORMAT_DEFAULT = "csv";

    public Options {
      if (statements.isEmpty()) {
        throw new IllegalArgumentException(
            "No SQL given; pass a query with -e \"SELECT ...\" or a file with -f queries.sql");
      }
      if (limit < 0) {
        throw new IllegalArgumentException("--limit is " + limit + "; give 0 or more rows");
      }
      statements = List.copyOf(statements);
    }
  }

  /**
   * One executed statement.
   *
   * @param rows the first {@code limit} rows (empty when written to the output)
   * @param truncated whether the result has more rows than {@code rows}
   * @param written rows written to the output, or -1 when not written
   */
  public record Statement(
      String sql, List<String> columns, List<Row> rows, boolean truncated, long written) {}

  public record Result(LakeCatalog.Refresh refresh, List<Statement> statements) {}

  private SqlQueries() {}

  public static Result run(SparkSession spark, Options options) {
    return run(spark, options, r -> {}, s -> {});
  }

  /**
   * Runs the statements in order, handing each result to {@code onStatement} as soon as it is done
   * (so a later failing statement does not hide earlier results).
   *
   * @throws StatementFailed when a statement fails; earlier statements have been reported
   */
  public static Result run(
      SparkSession spark,
      Options options,
      Consumer<LakeCatalog.Refresh> onRefresh,
      Consumer<Statement> onStatement) {
    LakeCatalog.Refresh refresh = null;
    if (options.refresh()) {
      refresh = LakeCatalog.refresh(spark, options.lakeRoot());
      onRefresh.accept(refresh);
    }
    List<Statement> done = new ArrayList<>();
    for (int i = 0; i < options.statements().size(); i++) {
      String sql = options.statements().get(i);
      boolean last = i == options.statements().size() - 1;
      if (!isQuery(sql)) {
        // DDL may change what the refresh registered: the next refresh checks everything
        LakeCatalog.forgetState(spark, options.lakeRoot());
      }
      Statement statement;
      try {
        statement = execute(spark, options, sql, last);
      } catch (AnalysisException | IllegalArgumentException e) {
        throw new StatementFailed(i + 1, sql, e);
      }
      done.add(statement);
      onStatement.accept(statement);
    }
    return new Result(refresh, List.copyOf(done));
  }

  /** Whether a statement only reads (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, VALUES, TABLE). */
  static boolean isQuery(String sql) {
    String head = sql.strip().replaceFirst("^\\(+", "").split("\\s+", 2)[0];
    return java.util.Set.of(
            "select", "with", "show", "describe", "desc", "explain", "values", "table")
        .contains(head.toLowerCase(java.util.Locale.ROOT));
  }

  private static Statement execute(SparkSession spark, Options options, String sql, boolean last)
      throws AnalysisException {
    Dataset<Row> result = spark.sql(sql);
    List<String> columns = List.of(result.columns());
    if (last && options.output() != null) {
      return new Statement(sql, columns, List.of(), false, write(result, options));
    }
    List<Row> rows = result.limit(options.limit() + 1).collectAsList();
    boolean truncated = rows.size() > options.limit();
    List<Row> kept = truncated ? rows.subList(0, options.limit()) : rows;
    return new Statement(sql, columns, List.copyOf(kept), truncated, -1);
  }

  /** A statement Spark rejected (unknown table or column, syntax): the user's input, not a bug. */
  public static final class StatementFailed extends IllegalArgumentException {
    public StatementFailed(int index, String sql, Exception cause) {
      super(
          "statement "
              + index
              + " failed: "
              + firstLines(cause.getMessage())
              + "\n  in: "
              + sql.replaceAll("\\s+", " ")
              + "\n  (SHOW TABLES lists the lake's tables; docs/catalog.md)",
          cause);
    }

    /** Spark's message without the plan it appends. */
    private static String firstLines(String message) {
      if (message == null) {
        return "";
      }
      int sqlState = message.indexOf("SQLSTATE:");
      if (sqlState >= 0) {
        int end = message.indexOf(';', sqlState);
        int eol = message.indexOf('\n', sqlState);
        int cut = end >= 0 ? end : eol >= 0 ? eol : message.length();
        return message.substring(0, cut).strip();
      }
      int eol = message.indexOf('\n');
      return eol < 0 ? message : message.substring(0, eol);
    }
  }

  private static long write(Dataset<Row> result, Options options) {
    // One pass: cache so that the count and the write read the tables once.
    Dataset<Row> cached = result.cache();
    try {
      var writer = cached.coalesce(1).write().mode(SaveMode.Overwrite);
      if (options.format() == Format.CSV) {
        writer.option("header", "true").csv(options.output());
      } else {
        writer.parquet(options.output());
      }
      return cached.count();
    } finally {
      cached.unpersist();
    }
  }

  /**
   * Splits a script into statements at semicolons outside quotes, backquotes and comments; blank
   * statements and comment-only statements are dropped.
   */
  public static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean meaningful = false;
    int n = script.length();
    for (int i = 0; i < n; i++) {
      char c = script.charAt(i);
      if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int end = script.indexOf('\n', i);
        end = end < 0 ? n : end;
        current.append(script, i, end);
        i = end - 1;
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        if (end < 0) {
          throw new IllegalArgumentException(
              "Unclosed /* comment in the SQL at character " + i + "; close it with */");
        }
        current.append(script, i, end + 2);
        i = end + 1;
      } else if (c == '\'' || c == '"' || c == '`') {
        int end = closingQuote(script, i);
        current.append(script, i, end + 1);
        meaningful = true;
        i = end;
      } else if (c == ';') {
        if (meaningful) {
          statements.add(current.toString().strip());
        }
        current.setLength(0);
        meaningful = false;
      } else {
        current.append(c);
        meaningful |= !Character.isWhitespace(c);
      }
    }
    if (meaningful) {
      statements.add(current.toString().strip());
    }
    return statements;
  }

  private static int closingQuote(String script, int open) {
    char quote = script.charAt(open);
    for (int i = open + 1; i < script.length(); i++) {
      char c = script.charAt(i);
      if (c == '\\' && quote != '`') {
        i++;
      } else if (c == quote) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "Unclosed %c quote in the SQL starting at character %d: %s; close the quote",
            quote,
            open,
            script.substring(open, Math.min(script.length(), open + 40))));
  }
}
