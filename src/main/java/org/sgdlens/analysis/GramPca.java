package org.sgdlens.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sgdlens.kernel.SnapshotPca;
import org.sgdlens.lake.VectorChunks;
import scala.Tuple2;

/**
 * The Gram (snapshot) method of the trajectory PCA: the T×T Gram matrix of the centred window,
 * summed over blocks of coordinates in Spark (a task holds T × block floats, never a whole
 * P-vector), eigen-decomposed on the driver, then the directions recovered block by block in a
 * second pass over the same shuffled blocks. The numerics are {@link SnapshotPca}'s.
 */
final class GramPca {
  private GramPca() {}

  /** A block of coordinates: part of one chunk, at most blockBytes / (4T) floats. */
  record Block(int id, int chunk, int startInChunk, int length, long offset)
      implements Serializable {}

  /** One snapshot's values on one block. */
  record Piece(int snapshot, byte[] values) implements Serializable {}

  /** Sends block b to partition b: every task holds exactly one block of T snapshots. */
  static final class BlockPartitioner extends Partitioner {
    private final int blocks;

    BlockPartitioner(int blocks) {
      this.blocks = blocks;
    }

    @Override
    public int numPartitions() {
      return blocks;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof BlockPartitioner b && b.blocks == blocks;
    }

    @Override
    public int hashCode() {
      return blocks;
    }
  }

  static List<Block> blocks(PcaWindow window, long blockBytes) {
    int t = window.snapshots();
    List<Block> blocks = new ArrayList<>();
    for (var e : window.chunks.entrySet()) {
      int length = (int) e.getValue()[1];
      int blockLength = (int) Math.max(1, Math.min(length, blockBytes / (4L * t)));
      for (int start = 0; start < length; start += blockLength) {
        int len = Math.min(blockLength, length - start);
        blocks.add(new Block(blocks.size(), e.getKey(), start, len, e.getValue()[0] + start));
      }
    }
    return blocks;
  }

  /** The PCA of {@code data} (step, chunk, values of the window's snapshots). */
  static TrajectoryPca.RunResult run(
      SparkSession spark, TrajectoryPca.Options options, PcaWindow window, Dataset<Row> data) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int t = window.snapshots();
    List<Block> blockList = blocks(window, options.blockBytes());
    Map<Integer, List<Block>> byChunk = new HashMap<>();
    for (Block b : blockList) {
      byChunk.computeIfAbsent(b.chunk(), c -> new ArrayList<>()).add(b);
    }
    Broadcast<Map<Long, Integer>> stepIndex = jsc.broadcast(window.stepIndex());
    Broadcast<Map<Integer, List<Block>>> plan = jsc.broadcast(byChunk);

    JavaPairRDD<Integer, Piece> pieces =
        data.javaRDD()
            .flatMapToPair(
                row -> {
                  Integer snapshot = stepIndex.value().get(row.<Long>getAs("step"));
                  List<Block> chunkBlocks = plan.value().get(row.<Integer>getAs("chunk"));
                  if (snapshot == null || chunkBlocks == null) {
                    return java.util.Collections.emptyIterator();
                  }
                  byte[] values = row.getAs("values");
                  List<Tuple2<Integer, Piece>> out = new ArrayList<>(chunkBlocks.size());
                  for (Block b : chunkBlocks) {
                    byte[] part =
                        chunkBlocks.size() == 1
                            ? values
                            : Arrays.copyOfRange(
                                values,
                                b.startInChunk() * Float.BYTES,
                                (b.startInChunk() + b.length()) * Float.BYTES);
                    out.add(new Tuple2<>(b.id(), new Piece(snapshot, part)));
                  }
                  return out.iterator();
                });
    // One shuffle; both passes below reuse its output (the same RDD), so the weights are read
    // from the lake once.
    JavaPairRDD<Integer, Piece> byBlock =
        pieces.partitionBy(new BlockPartitioner(blockList.size()));

    double[] gramAndFloor =
        byBlock
            .mapPartitions(
                it -> {
                  float[][] block = assemble(it, t);
                  if (block == null) {
                    return java.util.Collections.emptyIterator();
                  }
                  // The Gram, then one more slot: this block's share of the precision floor.
                  double[] partial = new double[t * t + 1];
                  double[] gramPart = new double[t * t];
                  SnapshotPca.addCenteredGram(block, gramPart);
                  System.arraycopy(gramPart, 0, partial, 0, t * t);
                  partial[t * t] = TrajectoryPca.roundingVarianceSum(block[t - 1]);
                  return List.of(partial).iterator();
                })
            .treeReduce(
                (a, b) -> {
                  for (int i = 0; i < a.length; i++) {
                    a[i] += b[i];
                  }
                  return a;
                },
                2);
    double[] gram = Arrays.copyOf(gramAndFloor, t * t);
    double precisionFloor = gramAndFloor[t * t] / Math.max(1, window.params);
    int rank = options.componentsOf(t, window.params);
    SnapshotPca.Spectrum spectrum = SnapshotPca.spectrum(gram, t, rank);
    int k = Math.min(options.directions(), spectrum.rank());
    int written = 0;
    if (k > 0) {
      Broadcast<double[]> coefficients =
          jsc.broadcast(SnapshotPca.directionCoefficients(spectrum, k));
      Broadcast<List<Block>> blockInfo = jsc.broadcast(blockList);
      String runId = window.runId;
      String label = window.label();
      JavaRDD<Row> rows =
          byBlock.mapPartitionsWithIndex(
              (index, it) -> {
                float[][] block = assemble(it, t);
                if (block == null) {
                  return java.util.Collections.emptyIterator();
                }
                Block b = blockInfo.value().get(index);
                float[][] directions =
                    SnapshotPca.recoverDirections(block, coefficients.value(), k);
                List<Row> out = new ArrayList<>(k);
                for (int i = 0; i < k; i++) {
                  out.add(
                      PcaWriter.directionRow(
                          runId,
                          label,
                          i + 1,
                          b.id(),
                          b.offset(),
                          b.length(),
                          VectorChunks.pack(directions[i], 0, b.length())));
                }
                return out.iterator();
              },
              true);
      PcaWriter.writeDirections(spark, options.lake(), rows);
      written = k;
    }
    return new TrajectoryPca.RunResult(
        window.runId,
        window.label(),
        window.fromStep,
        window.toStep,
        t,
        window.params,
        TrajectoryPca.Method.GRAM,
        spectrum.variances(),
        spectrum.totalVariance(),
        written,
        blockList.size(),
        precisionFloor);
  }

  /** The T snapshots of a partition's single block; null for an empty partition. */
  private static float[][] assemble(Iterator<Tuple2<Integer, Piece>> it, int t) {
    float[][] block = new float[t][];
    Integer id = null;
    int filled = 0;
    while (it.hasNext()) {
      Tuple2<Integer, Piece> next = it.next();
      if (id != null && !id.equals(next._1())) {
        throw new IllegalStateException("Blocks " + id + " and " + next._1() + " share a task");
      }
      id = next._1();
      Piece piece = next._2();
      if (block[piece.snapshot()] == null) {
        filled++;
      }
      block[piece.snapshot()] = VectorChunks.unpack(piece.values());
    }
    if (id == null) {
      return null;
    }
    if (filled != t) {
      throw new IllegalStateException(
          "Block "
              + id
              + " has "
              + filled
              + " of "
              + t
              + " snapshots; the weights table changed"
              + " while the job ran");
    }
    return block;
  }
}
