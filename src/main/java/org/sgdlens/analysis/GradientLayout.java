package org.sgdlens.analysis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.Tables;

/**
 * Which recorded gradient ensembles order-params can read without a shuffle: those whose every
 * (step, chunk) group lies whole in one Parquet row group. Decided from the files' footers alone
 * (the key columns' min/max per row group), so it holds for any writer and for lakes written before
 * the grouped layout: an ensemble is grouped when every row group holding its step holds that step
 * only and no two of them share a chunk. Spark never splits a row group between tasks, so one task
 * then sees all 2M vectors of each of its chunks (docs/lake.md, "Gradient layout").
 */
final class GradientLayout {
  private GradientLayout() {}

  /** A (run, step) as a set element. */
  static String key(String runId, long step) {
    return runId + '\u0000' + step;
  }

  /** The grouped (run, step) ensembles of {@code runs}, as {@link #key} strings. */
  static Set<String> groupedSteps(Lake lake, Configuration conf, List<String> runs) {
    Set<String> grouped = new HashSet<>();
    for (String run : runs) {
      List<RowGroup> groups = new ArrayList<>();
      boolean known = true;
      for (Path file : files(lake, run)) {
        known &= rowGroups(file, conf, groups);
      }
      if (known) {
        for (long step : grouped(groups)) {
          grouped.add(key(run, step));
        }
      }
    }
    return grouped;
  }

  /** The key-column ranges of one row group. */
  record RowGroup(long stepMin, long stepMax, int chunkMin, int chunkMax) {}

  /**
   * The steps whose row groups each hold that step only and have pairwise disjoint chunk ranges (a
   * step appearing in a row group of several steps is not grouped).
   */
  static Set<Long> grouped(List<RowGroup> groups) {
    List<RowGroup> multiStep = new ArrayList<>();
    Map<Long, List<RowGroup>> byStep = new HashMap<>();
    for (RowGroup g : groups) {
      if (g.stepMin() != g.stepMax()) {
        multiStep.add(g);
      } else {
        byStep.computeIfAbsent(g.stepMin(), s -> new ArrayList<>()).add(g);
      }
    }
    Set<Long> out = new TreeSet<>();
    for (Map.Entry<Long, List<RowGroup>> e : byStep.entrySet()) {
      long step = e.getKey();
      if (multiStep.stream().anyMatch(g -> g.stepMin() <= step && step <= g.stepMax())) {
        continue;
      }
      List<RowGroup> ranges = new ArrayList<>(e.getValue());
      ranges.sort((a, b) -> Integer.compare(a.chunkMin(), b.chunkMin()));
      boolean disjoint = true;
      for (int i = 1; i < ranges.size(); i++) {
        disjoint &= ranges.get(i).chunkMin() > ranges.get(i - 1).chunkMax();
      }
      if (disjoint) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  private static List<Path> files(Lake lake, String run) {
    Path dir = lake.partition(Tables.GRADIENTS, run);
    try {
      FileSystem fs = lake.fs();
      if (!fs.exists(dir)) {
        return List.of();
      }
      List<Path> out = new ArrayList<>();
      for (FileStatus s : fs.listStatus(dir)) {
        String name = s.getPath().getName();
        if (s.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
          out.add(s.getPath());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir, e);
    }
  }

  /**
   * Adds the file's row groups; false when a row group lacks the statistics that say where its rows
   * belong (then nothing of the run is taken as grouped).
   */
  private static boolean rowGroups(Path file, Configuration conf, List<RowGroup> out) {
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      for (BlockMetaData block : reader.getFooter().getBlocks()) {
        if (block.getRowCount() == 0) {
          continue;
        }
        Statistics<?> step = stats(block, "step");
        Statistics<?> chunk = stats(block, "chunk");
        if (step == null || chunk == null) {
          return false;
        }
        out.add(
            new RowGroup(
                ((Number) step.genericGetMin()).longValue(),
                ((Number) step.genericGetMax()).longValue(),
                ((Number) chunk.genericGetMin()).intValue(),
                ((Number) chunk.genericGetMax()).intValue()));
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the footer of " + file, e);
    }
  }

  private static Statistics<?> stats(BlockMetaData block, String column) {
    for (ColumnChunkMetaData c : block.getColumns()) {
      if (c.getPath().toDotString().equals(column)) {
        Statistics<?> s = c.getStatistics();
        return s == null || s.isEmpty() || !s.hasNonNullValue() ? null : s;
      }
    }
    return null;
  }
}
