package org.sgdlens.record;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * The full configuration of one training run, bound from YAML or JSON (snake_case keys). Stored
 * verbatim in {@code runs.config_json}. Defaults here are the code defaults; {@code
 * conf/train.yaml}, the user's file, environment and command line override them in that order.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = false)
public final class RunConfig {
  /** Run id; empty means derived from a hash of the rest of the configuration. */
  public String runId = "";

  /** A human label, the prefix of derived run ids. */
  public String name = "run";

  public DataConfig dataset = new DataConfig();
  public ModelConfig model = new ModelConfig();
  public NoiseConfig noise = new NoiseConfig();
  public SgdConfig sgd = new SgdConfig();
  public RecordConfig record = new RecordConfig();
  public DivergenceConfig divergence = new DivergenceConfig();
  public StopConfig stop = new StopConfig();

  /** Steps between resumable checkpoints; 0 disables them. */
  public long checkpointEvery = 1000;

  /** auto (GPU when DJL sees one), cpu or gpu. */
  public String device = "auto";

  /** PyTorch intra-op threads of the training thread (DJL trains fastest on 1 here). */
  public int threads = 1;

  /** Record on a second thread from weight snapshots, in parallel with training. */
  public boolean parallelRecording = true;

  public static final class DataConfig {
    /**
     * fashion-mnist or idx (a folder of MNIST-format IDX files), cifar10 (a folder of CIFAR-10
     * binary batches), image-folder (train/ and test/ of one sub-folder per class), numpy (a .npz
     * file or a folder of .npy files), parquet (train/ and test/ tables) or synthetic;
     * docs/data.md.
     */
    public String name = "fashion-mnist";

    /** Where Debian's dataset-fashion-mnist package puts the IDX files. */
    public static final String PATH_DEFAULT = "/usr/share/datasets/fashion-mnist";

    public String path = PATH_DEFAULT;

    /**
     * Shape of one sample, [C, H, W] for images: cifar10's record layout (empty means [3, 32, 32]),
     * or how numpy and parquet features are viewed (empty: taken from the array's shape, flat for
     * parquet). An image folder's images must match it when set.
     */
    public List<Integer> imageShape = new ArrayList<>();

    /**
     * numpy and parquet: each sample is stored H x W x C (Keras, TensorFlow and PIL arrays) and is
     * transposed to the C x H x W the networks take; image_shape, when set, is the [C, H, W].
     */
    public boolean channelsLast = false;

    /** Array names of the numpy source: keys of the .npz file, or the .npy file names. */
    public NumpyArrays arrays = new NumpyArrays();

    /**
     * The parquet source's feature columns: one array column (list of float, double or int), or
     * several numeric columns taken in this order.
     */
    public List<String> featureColumns = new ArrayList<>(List.of(FEATURE_COLUMN_DEFAULT));

    public static final String FEATURE_COLUMN_DEFAULT = "features";

    /** The parquet source's integer label column. */
    public String labelColumn = LABEL_COLUMN_DEFAULT;

    public static final String LABEL_COLUMN_DEFAULT = "label";

    /**
     * Per-channel normalisation x = (x - mean[c]) / std[c], after 8-bit pixels are divided by 255;
     * empty lists leave the features as loaded. One value per channel (or one for all).
     */
    public List<Double> mean = new ArrayList<>();

    public List<Double> std = new ArrayList<>();

    /** Augmentation of training minibatches (never of probes or per-sample losses). */
    public AugmentConfig augment = new AugmentConfig();

    /** Seeded subset with this many training samples per class; 0 keeps all. */
    public int perClass = 0;

    /** Seeded subset of the test set; 0 keeps all. */
    public int testSize = 0;

    /** Synthetic data: samples, features and classes. */
    public int syntheticSamples = 512;

    public int syntheticFeatures = 20;
    public int syntheticClasses = 4;
    public int syntheticTestSamples = 256;

    /** A text file of training sample_index values to leave out (e.g. the clean job's flags). */
    public String excludeSamples = "";

    /** Train only on the samples whose given label is correct (the true-clean baseline). */
    public boolean onlyClean = false;
  }

  /** Array names in a .npz file (or .npy file names without the extension in a folder). */
  public static final class NumpyArrays {
    public String trainFeatures = "x_train";
    public String trainLabels = "y_train";
    public String testFeatures = "x_test";
    public String testLabels = "y_test";
  }

  /**
   * Random crop with zero padding and horizontal flip of each training minibatch, drawn from the
   * run seed and the step (a resumed run replays them).
   */
  public static final class AugmentConfig {
    /** Pad each side by this many pixels and crop back to the image size at a random offset. */
    public int cropPadding = 0;

    /** Flip each image left-right with probability 1/2. */
    public boolean horizontalFlip = false;

    public boolean enabled() {
      return cropPadding > 0 || horizontalFlip;
    }
  }

  public static final class ModelConfig {
    /**
     * mlp, cnn, resnet (DJL model-zoo residual units) or torchscript (a file exported by PyTorch).
     */
    public String kind = "mlp";

    /**
     * The training loss: cross_entropy on the logits, or mse (mean squared error of the outputs
     * against one-hot targets, averaged over classes and samples, as torch.nn.MSELoss).
     */
    public String loss = LOSS_DEFAULT;

    public static final String LOSS_DEFAULT = "cross_entropy";

    /**
     * ResNet depth: 6n+2 (CIFAR style: three stages of n basic units, widths [16, 32, 64] unless
     * set) or 18 / 34 (ImageNet style: four stages, widths [64, 128, 256, 512]).
     */
    public int depth = DEPTH_DEFAULT;

    public static final int DEPTH_DEFAULT = 20;

    /** ResNet stage widths; empty for the depth's standard widths. */
    public List<Integer> widths = new ArrayList<>();

    /** A TorchScript file (torch.jit.script or torch.jit.trace of the model, docs/models.md). */
    public String path = "";

    /** Hidden layer widths of the MLP (and the dense part of the CNN). */
    public List<Integer> hidden = new ArrayList<>(List.of(256));

    /** relu, tanh or sigmoid. */
    public String activation = "relu";

    public boolean bias = true;

    /** Convolution channels of the CNN (3x3 convolutions, each followed by 2x2 max pooling). */
    public List<Integer> channels = new ArrayList<>(List.of(16, 32));
  }

  public static final class NoiseConfig {
    /** rho: fraction of training samples given a wrong label. */
    public double fraction = 0.0;

    /** symmetric or asymmetric. */
    public String kind = "symmetric";

    /** Asymmetric pairs "from:to,...", empty means c -> c+1 mod C. */
    public String pairs = "";

    /** Seed of the noise; -1 means the run seed. */
    public long seed = -1;
  }

  /** When a run counts as diverged (runs.diverged, runs.diverged_reason); see kernel.Divergence. */
  public static final class DivergenceConfig {
    /** A mean minibatch loss above this multiple of the initial loss is divergence. */
    public double lossRatio = org.sgdlens.kernel.Divergence.LOSS_RATIO_DEFAULT;

    /** Minibatch losses averaged by the loss-ratio rule. */
    public int lossWindow = org.sgdlens.kernel.Divergence.LOSS_WINDOW_DEFAULT;

    /** A final training accuracy at most chance plus this margin is divergence. */
    public double chanceMargin = org.sgdlens.kernel.Divergence.CHANCE_MARGIN_DEFAULT;

    /** The accuracy rule applies only to runs longer than this many epochs. */
    public double warmupEpochs = org.sgdlens.kernel.Divergence.WARMUP_EPOCHS_DEFAULT;

    /** Stop training at the step where the loss rules see divergence (the run is recorded). */
    public boolean stop = true;
  }

  /**
   * Stopping once the training set is fit (kernel.FitStopRule, the variance–flatness authors'
   * rule): checked at every epoch end; sgd.steps (or sgd.epochs) stays the cap. Why the run stopped
   * is in runs.stop_reason.
   */
  public static final class StopConfig {
    /** Check the rule at every epoch end; off by default (the run trains its steps or epochs). */
    public boolean whenFit = false;

    /** The mean epoch-end training accuracy over accuracy_epochs must exceed this. */
    public double minTrainAccuracy = org.sgdlens.kernel.FitStopRule.MIN_TRAIN_ACCURACY_DEFAULT;

    /** Epoch ends averaged (the authors' holder[-1:-10:-1] is 9). */
    public int accuracyEpochs = org.sgdlens.kernel.FitStopRule.ACCURACY_EPOCHS_DEFAULT;

    /** The epoch-end training loss must be below this. */
    public double maxTrainLoss = org.sgdlens.kernel.FitStopRule.MAX_TRAIN_LOSS_DEFAULT;

    public org.sgdlens.kernel.FitStopRule.Rule rule() {
      return new org.sgdlens.kernel.FitStopRule.Rule(
          minTrainAccuracy, accuracyEpochs, maxTrainLoss);
    }
  }

  public static final class SgdConfig {
    public double learningRate = 0.1;
    public double momentum = 0.0;
    public double weightDecay = 0.0;
    public int batchSize = 64;

    /** Epochs to train; used when steps is 0. */
    public double epochs = 1;

    /** SGD updates to perform; 0 means epochs * (train size / batch size). */
    public long steps = 0;

    public long seed = 1;
  }

  public static final class RecordConfig {
    public Schedule weights = Schedule.never();

    /** Parameter names to record in weight snapshots (see param_layout); empty means all. */
    public List<String> layers = new ArrayList<>();

    public Schedule gradients = Schedule.never();

    /** M: minibatches per gradient ensemble. */
    public int ensembleSize = 16;

    /** B of the ensemble minibatches; 0 means the training batch size. */
    public int ensembleBatch = 0;

    public Schedule sampleLosses = Schedule.never();

    /** Seeded subset of training samples whose losses are recorded; 0 records all. */
    public int sampleLossSubset = 0;

    public Schedule metrics = Schedule.every(100);

    /**
     * Hessian top-k eigenvalues, trace and optionally spectral density of the training loss during
     * training, into the curvature tables (built-in MLP only; docs/curvature.md).
     */
    public CurvatureSchedule curvature = CurvatureSchedule.none();

    /** Floats per vector chunk row. */
    public int chunk = 65_536;

    /** Parquet compression: uncompressed, snappy or zstd. */
    public String compression = "uncompressed";

    /** Record batches waiting for the writer before the probe blocks (bounds memory). */
    public int queueCapacity = 8;

    /** Memory for weight snapshots waiting for the probe thread, in MiB; training waits beyond. */
    public long snapshotBudgetMb = 512;

    /**
     * Memory for vectors (gradients, weight snapshots) queued for or being written by the writer
     * thread, in MiB; the probe waits beyond (one vector larger than this is let in alone).
     */
    public long writerBudgetMb = WRITER_BUDGET_MB_DEFAULT;

    public static final long WRITER_BUDGET_MB_DEFAULT = 512;

    /**
     * Largest gradient ensemble (M members, two parts each with label noise, 4 bytes per
     * parameter), in MiB, written as one group chunk by chunk so that order-params reads it without
     * a shuffle (docs/lake.md, "Gradient layout"); larger ensembles, or ones above a third of the
     * heap, are written member by member. The layout changes no value.
     */
    public long gradientGroupMb = GRADIENT_GROUP_MB_DEFAULT;

    public static final long GRADIENT_GROUP_MB_DEFAULT = 2048;

    /**
     * Linux nice value of the probe and writer threads (0 to 19): above the training thread's, so
     * that on a busy machine recording yields the core to training. 0 keeps them equal.
     */
    public int threadNice = 10;

    /**
     * Threads sharing each probe task (gradient ensemble members, evaluation batches), each with
     * its own copy of the network. While training runs they share the core training leaves; at the
     * end of training they finish the last records on every core.
     */
    public int probeThreads = 2;
  }
}
