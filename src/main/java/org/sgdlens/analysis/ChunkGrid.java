package org.sgdlens.analysis;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sgdlens.lake.Columns;

/**
 * The one rule for a recorded vector's chunk grid (the {@code chunk, offset, length} columns of
 * {@code weights}, {@code gradients} and {@code pca_directions}): a vector is usable when each of
 * its chunks is stored exactly once, and the vectors compared with each other (the snapshots of a
 * PCA window, the members and parts of a gradient ensemble) share one grid. A duplicated, missing
 * or differently cut chunk leaves the vector out, with a warning, instead of a silently wrong sum.
 *
 * <p>Two forms of the same check: {@link #byVector} for layouts small enough to collect (one weight
 * vector per step), {@link #vectorCounts} plus {@link #mismatch} for ensembles whose layout is
 * summarised in Spark.
 */
final class ChunkGrid implements Serializable {
  /** Chunk id → {offset, length}; a duplicated chunk is stored as {-1, -1}. */
  private final TreeMap<Integer, long[]> chunks;

  private ChunkGrid(TreeMap<Integer, long[]> chunks) {
    this.chunks = chunks;
  }

  /** Chunk id → {offset, length}, by chunk id. */
  TreeMap<Integer, long[]> chunks() {
    return chunks;
  }

  /**
   * The grid of every vector in {@code layout}, rows of ({@code key}, chunk, offset, length) as
   * {@code key} names them; a chunk stored twice poisons its vector's grid.
   */
  static <K extends Comparable<K>> TreeMap<K, ChunkGrid> byVector(
      List<Row> layout, java.util.function.Function<Row, K> key) {
    TreeMap<K, Map<Integer, long[]>> byKey = new TreeMap<>();
    for (Row r : layout) {
      Map<Integer, long[]> grid = byKey.computeIfAbsent(key.apply(r), k -> new HashMap<>());
      int chunk = r.getAs("chunk");
      long offset = r.getAs(Columns.CHUNK_OFFSET);
      int length = r.getAs("length");
      if (grid.put(chunk, new long[] {offset, length}) != null) {
        grid.put(chunk, new long[] {-1, -1}); // duplicate: poisons the vector
      }
    }
    TreeMap<K, ChunkGrid> out = new TreeMap<>();
    byKey.forEach((k, grid) -> out.put(k, new ChunkGrid(new TreeMap<>(grid))));
    return out;
  }

  /**
   * The offset at which the chunks, in chunk order, stop tiling {@code [0, P)} (a gap, an overlap
   * or a duplicate), or -1 when they tile it.
   */
  long tilingBreak() {
    long end = 0;
    for (long[] chunk : chunks.values()) {
      if (chunk[0] != end) {
        return end;
      }
      end += chunk[1];
    }
    return -1;
  }

  /** P, the length of the vector the chunks tile. */
  long length() {
    return chunks.values().stream().mapToLong(c -> c[1]).sum();
  }

  /** Whether {@code other} has exactly these chunks, offsets and lengths. */
  boolean sameAs(ChunkGrid other) {
    if (chunks.size() != other.chunks.size()) {
      return false;
    }
    for (var e : chunks.entrySet()) {
      long[] c = other.chunks.get(e.getKey());
      if (c == null || !Arrays.equals(c, e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * One row per vector ({@code vectorKey}) of a chunked table with {@code rows} (chunk rows
   * stored), {@code chunks} (distinct chunk ids) and {@code len} (floats stored), then {@code
   * extra} aggregates.
   */
  static Dataset<Row> vectorCounts(
      Dataset<Row> data, String first, List<String> vectorKey, Column... extra) {
    List<Column> aggregates = new ArrayList<>();
    aggregates.add(countDistinct("chunk").as("chunks"));
    aggregates.add(sum("length").as("len"));
    aggregates.addAll(List.of(extra));
    return data.groupBy(first, vectorKey.toArray(String[]::new))
        .agg(count(lit(1)).as("rows"), aggregates.toArray(Column[]::new));
  }

  /**
   * The range of {@link #vectorCounts} over vectors compared with each other: they share one
   * complete grid when every vector stores each chunk once and all agree on chunks and length.
   */
  record Counts(
      long rowsMin, long rowsMax, long chunksMin, long chunksMax, long lenMin, long lenMax) {
    boolean oneCompleteGrid() {
      return rowsMin == rowsMax
          && chunksMin == chunksMax
          && rowsMax == chunksMax
          && lenMin == lenMax;
    }

    @Override
    public String toString() {
      return "chunks per member "
          + chunksMin
          + ".."
          + chunksMax
          + ", rows "
          + rowsMin
          + ".."
          + rowsMax
          + ", vector length "
          + lenMin
          + ".."
          + lenMax;
    }
  }
}
