package org.sgdlens.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/** Test-side reader of a run's partition with plain parquet-hadoop (no Spark). */
public final class LakeReader {
  private LakeReader() {}

  public static List<Map<String, Object>> rows(Lake lake, String table, String runId) {
    Path dir = lake.partition(table, runId);
    List<Map<String, Object>> out = new ArrayList<>();
    try {
      if (!lake.fs().exists(dir)) {
        return out;
      }
      FileStatus[] files = lake.fs().listStatus(dir);
      java.util.Arrays.sort(files, Comparator.comparing(f -> f.getPath().getName()));
      for (FileStatus file : files) {
        if (!file.getPath().getName().endsWith(".parquet")) {
          continue;
        }
        try (ParquetReader<Group> reader =
            ParquetReader.builder(new GroupReadSupport(), file.getPath())
                .withConf(lake.conf())
                .build()) {
          for (Group g = reader.read(); g != null; g = reader.read()) {
            out.add(toMap(g));
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> toMap(Group g) {
    Map<String, Object> row = new LinkedHashMap<>();
    for (Type field : g.getType().getFields()) {
      String name = field.getName();
      if (g.getFieldRepetitionCount(name) == 0) {
        row.put(name, null);
        continue;
      }
      if (!field.isPrimitive()) {
        row.put(name, g.getGroup(name, 0).toString());
        continue;
      }
      PrimitiveType.PrimitiveTypeName t = field.asPrimitiveType().getPrimitiveTypeName();
      Object v =
          switch (t) {
            case INT32 -> g.getInteger(name, 0);
            case INT64 -> g.getLong(name, 0);
            case DOUBLE -> g.getDouble(name, 0);
            case FLOAT -> g.getFloat(name, 0);
            case BOOLEAN -> g.getBoolean(name, 0);
            case BINARY ->
                field.getLogicalTypeAnnotation() != null
                    ? g.getString(name, 0)
                    : g.getBinary(name, 0).getBytes();
            default ->
                g.getValueToString(
                    field.getName().hashCode() == 0 ? 0 : g.getType().getFieldIndex(name), 0);
          };
      row.put(name, v);
    }
    return row;
  }

  /** Reassembles chunked vectors keyed by the given key columns (e.g. step, member, part). */
  public static Map<String, float[]> vectors(List<Map<String, Object>> rows, String... keys) {
    Map<String, TreeMap<Long, float[]>> parts = new TreeMap<>();
    for (Map<String, Object> r : rows) {
      StringBuilder k = new StringBuilder();
      for (String key : keys) {
        k.append(r.get(key)).append('|');
      }
      parts
          .computeIfAbsent(k.toString(), x -> new TreeMap<>())
          .put((Long) r.get("chunk_offset"), VectorChunks.unpack((byte[]) r.get("values")));
    }
    Map<String, float[]> out = new TreeMap<>();
    parts.forEach(
        (k, chunks) -> {
          int n = chunks.values().stream().mapToInt(a -> a.length).sum();
          float[] v = new float[n];
          chunks.forEach((off, a) -> System.arraycopy(a, 0, v, off.intValue(), a.length));
          out.put(k, v);
        });
    return out;
  }
}
