package org.sgdlens.bench;

import java.util.Map;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.LakeReader;

/** Development helper: prints a run's rows of one table without Spark. Args: lake table run. */
public final class DumpTable {
  public static void main(String[] args) {
    for (Map<String, Object> row : LakeReader.rows(Lake.open(args[0]), args[1], args[2])) {
      row.replaceAll((k, v) -> v instanceof byte[] b ? "<" + b.length + " bytes>" : v);
      System.out.println(row);
    }
  }
}
