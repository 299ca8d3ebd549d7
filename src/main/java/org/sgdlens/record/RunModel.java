package org.sgdlens.record;

import ai.djl.Device;
import java.util.Arrays;
import org.sgdlens.kernel.Permutations;
import org.sgdlens.lake.Lake;
import org.sgdlens.lake.RunStatus;
import org.sgdlens.lake.Tables;

/**
 * A trained run rebuilt from the lake: its config, training set (with the given labels it was
 * trained on), model and final parameters. Evaluates the training loss with the recorded layers
 * replaced by any vector, as the landscape probe needs. One instance per thread.
 */
public final class RunModel implements AutoCloseable {
  private final Network network;
  private final float[] finalWeights;
  private final int[][] slices;
  private final int recordedLength;
  private final float[] x;
  private final int[] labels;
  private final int features;

  private RunModel(
      Network network, float[] finalWeights, int[][] slices, TrainingData data, int[] rows) {
    this.network = network;
    this.finalWeights = finalWeights;
    this.slices = slices;
    int length = 0;
    for (int[] s : slices) {
      length += s[1];
    }
    this.recordedLength = length;
    this.features = data.features();
    this.x = new float[rows.length * features];
    this.labels = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(data.trainX(), rows[i] * features, x, i * features, features);
      labels[i] = data.givenLabels()[rows[i]];
    }
  }

  /**
   * @param maxSamples evaluate the loss on a seeded subset of this many training samples; 0 (or
   *     more than the training set) uses every sample
   */
  public static RunModel open(String lakeRoot, String runId, int maxSamples, long seed) {
    Lake lake = Lake.open(lakeRoot);
    String status =
        lake.runStatus(runId)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Run "
                            + runId
                            + " is not in the lake "
                            + lakeRoot
                            + "; list runs with jobs/sql -e 'SELECT run_id FROM runs'"));
    if (!status.equals(RunStatus.COMMITTED.name())) {
      throw new IllegalArgumentException(
          "Run " + runId + " is " + status + ", not COMMITTED; resume it with jobs/train first");
    }
    RunConfig config = ConfigLoader.fromJson(lake.runField(runId, "config_json").orElseThrow());
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, config.threads)));
    TrainingData data = TrainingData.load(config);
    Network network = new Network(config.model, data.inputShape(), data.classes(), Device.cpu());
    try {
      float[] weights = lake.readVector(Tables.FINAL_PARAMS, runId, (int) network.size());
      network.setWeights(weights);
      int[][] slices = Recorder.slices(network.layout(), config.record.layers);
      int n = data.trainSize();
      int[] rows;
      if (maxSamples > 0 && maxSamples < n) {
        rows = Arrays.copyOf(Permutations.permutation(n, seed, 0x1A5D), maxSamples);
        Arrays.sort(rows);
      } else {
        rows = new int[n];
        for (int i = 0; i < n; i++) {
          rows[i] = i;
        }
      }
      return new RunModel(network, weights, slices, data, rows);
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
  }

  public int recordedLength() {
    return recordedLength;
  }

  /** The recorded layers' final values (w0 of the landscape). */
  public float[] finalRecordedWeights() {
    float[] out = new float[recordedLength];
    for (int[] s : slices) {
      System.arraycopy(finalWeights, s[0], out, s[2], s[1]);
    }
    return out;
  }

  public int samples() {
    return labels.length;
  }

  /** Mean training loss (given labels) with the recorded layers set to {@code recordedWeights}. */
  public double loss(float[] recordedWeights) {
    if (recordedWeights.length != recordedLength) {
      throw new IllegalArgumentException(
          "Vector of "
              + recordedWeights.length
              + " values for "
              + recordedLength
              + " recorded weights");
    }
    float[] full = finalWeights.clone();
    for (int[] s : slices) {
      System.arraycopy(recordedWeights, s[2], full, s[0], s[1]);
    }
    network.setWeights(full);
    double[] loss = new double[labels.length];
    int[] predicted = new int[labels.length];
    network.evaluate(x, features, labels, loss, predicted);
    double sum = 0;
    for (double l : loss) {
      sum += l;
    }
    return sum / loss.length;
  }

  @Override
  public void close() {
    network.close();
  }
}
