package org.sgdlens.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * Everything a lake holds of one run, in a comparable form: every row of every record table and of
 * {@code runs} (vector chunks as their bytes; times that differ between two runs left out), the
 * file names of every partition, and what is left in staging and leases. Two lakes hold "the same
 * run" when their dumps are equal.
 */
public final class RunDump {
  /** Columns whose values differ between two identical runs: clocks. */
  private static final List<String> CLOCKS = List.of("wall_seconds", "started_at", "finished_at");

  private RunDump() {}

  public static Map<String, List<String>> of(Lake lake, String runId) {
    Map<String, List<String>> dump = new TreeMap<>();
    List<String> tables = new ArrayList<>(Tables.RECORDS);
    tables.add(Tables.RUNS);
    for (String table : tables) {
      List<String> rows = new ArrayList<>();
      for (Map<String, Object> row : LakeReader.rows(lake, table, runId)) {
        row.replaceAll((k, v) -> v instanceof byte[] b ? Arrays.toString(b) : v);
        CLOCKS.forEach(row::remove);
        rows.add(row.toString());
      }
      dump.put(table, rows);
      dump.put(table + " files", files(lake, lake.partition(table, runId)));
    }
    dump.put("staging", files(lake, lake.staging(runId)));
    dump.put("lease", files(lake, lake.lease(runId).getParent()));
    return dump;
  }

  /** Names (relative, recursive) of the files below a folder; empty if it does not exist. */
  public static List<String> files(Lake lake, Path dir) {
    List<String> out = new ArrayList<>();
    try {
      if (lake.fs().exists(dir)) {
        collect(lake, dir, "", out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.sort(null);
    return out;
  }

  private static void collect(Lake lake, Path dir, String prefix, List<String> out)
      throws IOException {
    for (FileStatus s : lake.fs().listStatus(dir)) {
      String name = prefix + s.getPath().getName();
      if (s.isDirectory()) {
        collect(lake, s.getPath(), name + "/", out);
      } else {
        out.add(name);
      }
    }
  }
}
