// Records a user's own DJL training loop with sgdlens: a block written here, trained with
// DJL's EasyTrain, recorded into a lake by RecordingListener (docs/recording-api.md).
//
// Run it from the project folder after the build (jobs/quickstart or mvn -DskipTests package):
//   java -cp "target/sgdlens.jar:$(cat target/classpath.txt)" -Dai.djl.offline=true \
//     docs/examples/UserLoop.java ./lake
// then analyse it like any run: jobs/order-params --run user-loop-example, jobs/loss-separation ...
import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.sgdlens.lake.Lake;
import org.sgdlens.record.RecordingListener;
import org.sgdlens.record.RunConfig;
import org.sgdlens.record.Schedule;
import org.sgdlens.record.TrainingData;

public class UserLoop {
  /** The user's network: any DJL block. */
  static Block myNet() {
    return new SequentialBlock()
        .add(Linear.builder().setUnits(128).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(10).build());
  }

  public static void main(String[] args) throws Exception {
    String lake = args.length > 0 ? args[0] : "./lake";
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int batch = 32;

    // The data, with the true labels kept: 100 Fashion-MNIST images per class, 20% mislabeled.
    // Any arrays work: new TrainingData(features, shape, classes, x, givenLabels, trueLabels, ...).
    RunConfig source = new RunConfig();
    source.dataset.perClass = 100;
    source.noise.fraction = 0.2;
    TrainingData data = TrainingData.load(source);
    int n = data.trainSize();
    long perEpoch = n / batch;

    try (RecordingListener recorder =
            RecordingListener.builder()
                .setLake(Lake.open(lake))
                .setName("user-loop-example")
                .setData(data)
                .setNetworkFactory(UserLoop::myNet)
                .optInputShape(data.features()) // the block reads flat rows of 784 pixels
                .setSteps(epochs * perEpoch, perEpoch)
                .optGradients(Schedule.every(25), 8)
                .optSampleLosses(Schedule.every(25))
                .optMetrics(Schedule.every(25))
                .optWeights(Schedule.every(5))
                .optSgd(0.05, 0, 0, batch)
                .build();
        Model model = Model.newInstance("my-net", Device.cpu(), "PyTorch");
        NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      model.setBlock(myNet());
      float[] labels = new float[n];
      for (int i = 0; i < n; i++) {
        labels[i] = data.givenLabels()[i];
      }
      ArrayDataset dataset =
          new ArrayDataset.Builder()
              .setData(manager.create(data.trainX(), new Shape(n, data.features())))
              .optLabels(manager.create(labels))
              .setSampling(batch, true, true)
              .build();
      DefaultTrainingConfig config =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(
                  Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
              .addTrainingListeners(recorder);
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(1, data.features()));
        EasyTrain.fit(trainer, epochs, dataset, null);
      } // closing the trainer ends training: the run is committed here
      var outcome = recorder.outcome().orElseThrow();
      System.out.printf(
          "Run %s committed to %s: %d steps, final train loss %.4f, test accuracy %.4f%n",
          outcome.runId(), lake, outcome.steps(), outcome.finalTrainLoss(),
          outcome.finalTestAccuracy());
    }
  }
}
