package spike;

import io.delta.kernel.*;
import io.delta.kernel.data.Row;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.expressions.Literal;
import io.delta.kernel.types.*;
import io.delta.kernel.utils.*;
import java.io.File;
import java.util.*;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/** Q3b: commit Parquet files written by plain parquet-java into a Delta table with Delta Kernel. */
public class DeltaKernelSpike {
  static final MessageType FILE_TYPE = MessageTypeParser.parseMessageType(
      "message metrics { required int64 step; required double train_loss; optional double minibatch_loss; }");
  static final StructType SCHEMA = new StructType()
      .add("run_id", StringType.STRING, false).add("step", LongType.LONG, false)
      .add("train_loss", DoubleType.DOUBLE, false).add("minibatch_loss", DoubleType.DOUBLE, true);

  public static void main(String[] args) throws Exception {
    String dir = new File(args[0]).getAbsolutePath();
    int runs = Integer.parseInt(args[1]);
    Configuration conf = new Configuration();
    FileSystem.getLocal(conf).setWriteChecksum(false);
    Engine engine = DefaultEngine.create(conf);
    String table = dir + "/metrics";
    List<Double> ms = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      String runId = "r" + r;
      Path file = new Path(table + "/run_id=" + runId + "/part-00000.parquet");
      SimpleGroupFactory f = new SimpleGroupFactory(FILE_TYPE);
      try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withConf(conf).withType(FILE_TYPE).build()) {
        for (long s = 0; s < 1000; s++) w.write(f.newGroup().append("step", s).append("train_loss", 1.0 / (s + 1)));
      }
      File local = new File(file.toUri().getPath());
      long t0 = System.nanoTime();
      TransactionBuilder tb = Table.forPath(engine, table)
          .createTransactionBuilder(engine, "sgdlens-spike", r == 0 ? Operation.CREATE_TABLE : Operation.WRITE);
      if (r == 0) tb = tb.withSchema(engine, SCHEMA).withPartitionColumns(engine, List.of("run_id"));
      Transaction txn = tb.build(engine);
      Row state = txn.getTransactionState(engine);
      DataWriteContext ctx = Transaction.getWriteContext(engine, state, Map.of("run_id", Literal.ofString(runId)));
      CloseableIterator<Row> actions = Transaction.generateAppendActions(engine, state,
          io.delta.kernel.internal.util.Utils.toCloseableIterator(List.of(
              new DataFileStatus(file.toString(), local.length(), local.lastModified(), Optional.empty())).iterator()), ctx);
      TransactionCommitResult res = txn.commit(engine, CloseableIterable.inMemoryIterable(actions));
      ms.add((System.nanoTime() - t0) / 1e6);
      if (r == 0 || r == runs - 1) {
        System.out.printf("commit %d -> version %d in %.1f ms; _delta_log: %s%n", r, res.getVersion(), ms.get(r),
            Arrays.toString(new File(table + "/_delta_log").list()));
      }
    }
    List<Double> warm = new ArrayList<>(ms.subList(1, ms.size()));
    Collections.sort(warm);
    System.out.printf("warm append commit: n=%d min=%.1f median=%.1f max=%.1f ms%n", warm.size(), warm.get(0), warm.get(warm.size() / 2), warm.get(warm.size() - 1));
    File last = new File(table + "/_delta_log/" + String.format("%020d.json", runs - 1));
    System.out.println("last commit file " + last.getName() + " = " + last.length() + " B:\n" + new String(java.nio.file.Files.readAllBytes(last.toPath())));
  }
}
