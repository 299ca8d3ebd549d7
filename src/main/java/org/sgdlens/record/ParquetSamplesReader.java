package org.sgdlens.record;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads a Parquet table of features and labels with parquet-java (no Spark): {@code train} and
 * {@code test} under {@code dataset.path}, each a {@code .parquet} file or a folder of part files
 * as Spark writes them ({@code df.write.parquet(".../train")}), parts taken in name order.
 *
 * <p>Features are one array column (Spark's {@code array<float>}, {@code array<double>} or an
 * integer array; the 3-level LIST layout and the legacy 2-level one) or several numeric columns in
 * the order {@code dataset.feature_columns} names them. Float values are taken as stored, integer
 * values as 8-bit pixels divided by 255, as IDX pixels are. Labels are an integer column.
 */
final class ParquetSamplesReader {
  static final String TRAIN = "train";
  static final String TEST = "test";

  private ParquetSamplesReader() {}

  static TrainingData.Raw read(Path root, RunConfig.DataConfig d) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(
          "Parquet dataset "
              + root
              + " does not exist; set dataset.path to a folder holding train and test"
              + " (a .parquet file or a folder of part files each)");
    }
    if (d.featureColumns.isEmpty()) {
      throw new IllegalArgumentException(
          "dataset.feature_columns is empty; name the features' array column, e.g. [features],"
              + " or its numeric columns in order");
    }
    Table train = readTable(split(root, TRAIN), d);
    Table test = readTable(split(root, TEST), d);
    if (train.features != test.features) {
      throw new IllegalArgumentException(
          "The test rows of "
              + root
              + " have "
              + test.features
              + " features but the training rows "
              + train.features
              + "; both splits need the same features");
    }
    int[] shape = sampleShape(d.imageShape, train.features, root);
    return TrainingData.Raw.of(
        "Parquet dataset " + root, shape, train.values, train.labels, test.values, test.labels);
  }

  private static int[] sampleShape(List<Integer> imageShape, int features, Path root) {
    if (imageShape.isEmpty()) {
      return new int[] {features};
    }
    long product = 1;
    for (int s : imageShape) {
      product *= s;
    }
    if (product != features) {
      throw new IllegalArgumentException(
          "dataset.image_shape "
              + imageShape
              + " holds "
              + product
              + " values but the rows of "
              + root
              + " have "
              + features
              + " features; give a shape of that size or leave image_shape empty");
    }
    return imageShape.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The files of a split: {@code <root>/<name>.parquet}, or the part files of its folder. */
  private static List<Path> split(Path root, String name) {
    Path file = root.resolve(name + ".parquet");
    Path dir = root.resolve(name);
    if (Files.isRegularFile(file)) {
      return List.of(file);
    }
    if (Files.isDirectory(dir)) {
      try (Stream<Path> list = Files.list(dir)) {
        List<Path> parts =
            list.filter(
                    p -> {
                      String n = p.getFileName().toString();
                      return n.endsWith(".parquet") && !n.startsWith(".") && !n.startsWith("_");
                    })
                .sorted()
                .toList();
        if (!parts.isEmpty()) {
          return parts;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalArgumentException(
        "No "
            + name
            + ".parquet and no "
            + name
            + "/ folder of .parquet part files in "
            + root
            + "; write the split there, e.g. df.write.parquet(\""
            + dir
            + "\")");
  }

  private record Table(float[] values, int[] labels, int features) {}

  /** Growable float storage (a primitive list). */
  private static final class Floats {
    float[] data = new float[1 << 16];
    int size;

    void add(float v) {
      if (size == data.length) {
        data = java.util.Arrays.copyOf(data, Math.multiplyExact(data.length, 2));
      }
      data[size++] = v;
    }
  }

  private static Table readTable(List<Path> files, RunConfig.DataConfig d) {
    Floats values = new Floats();
    List<Integer> labels = new ArrayList<>();
    int features = -1;
    Configuration conf = new Configuration();
    for (Path file : files) {
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(file.toUri()))
              .withConf(conf)
              .build()) {
        long row = 0;
        Columns columns = null;
        for (Group g = reader.read(); g != null; g = reader.read(), row++) {
          if (columns == null) {
            columns = Columns.of(g.getType(), d, file);
          }
          int before = values.size;
          columns.features(g, values, file, row);
          int n = values.size - before;
          if (features < 0) {
            features = n;
          } else if (n != features) {
            throw new IllegalArgumentException(
                file
                    + " row "
                    + row
                    + " has "
                    + n
                    + " features but the rows before it "
                    + features
                    + "; every sample needs the same number of features");
          }
          labels.add(columns.label(g, file, row));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    return new Table(
        java.util.Arrays.copyOf(values.data, values.size),
        labels.stream().mapToInt(Integer::intValue).toArray(),
        Math.max(features, 0));
  }

  /** Where a file's features and label are, checked once against its schema. */
  private record Columns(int[] featureFields, boolean array, int labelField) {
    static Columns of(GroupType schema, RunConfig.DataConfig d, Path file) {
      List<String> names = new ArrayList<>();
      for (Type t : schema.getFields()) {
        names.add(t.getName());
      }
      int label = field(schema, d.labelColumn, "dataset.label_column", file, names);
      Type labelType = schema.getType(label);
      if (!labelType.isPrimitive() || !integer(labelType.asPrimitiveType())) {
        throw new IllegalArgumentException(
            file
                + " column '"
                + d.labelColumn
                + "' is "
                + labelType
                + ", not an integer column; labels must be class indices 0..C-1 (int or long)");
      }
      int[] fields = new int[d.featureColumns.size()];
      for (int i = 0; i < fields.length; i++) {
        fields[i] = field(schema, d.featureColumns.get(i), "dataset.feature_columns", file, names);
      }
      boolean array = fields.length == 1 && isArray(schema.getType(fields[0]));
      if (!array) {
        for (int f : fields) {
          Type t = schema.getType(f);
          if (!t.isPrimitive()
              || t.isRepetition(Type.Repetition.REPEATED)
              || !numeric(t.asPrimitiveType())) {
            throw new IllegalArgumentException(
                file
                    + " column '"
                    + t.getName()
                    + "' is "
                    + t
                    + "; features are one array column or several numeric columns");
          }
        }
      }
      return new Columns(fields, array, label);
    }

    private static int field(
        GroupType schema, String name, String key, Path file, List<String> names) {
      if (!schema.containsField(name)) {
        throw new IllegalArgumentException(
            file
                + " has no column '"
                + name
                + "' (its columns: "
                + names
                + "); set "
                + key
                + " to the column's name");
      }
      return schema.getFieldIndex(name);
    }

    private static boolean isArray(Type t) {
      return t.isRepetition(Type.Repetition.REPEATED) || !t.isPrimitive();
    }

    void features(Group row, Floats out, Path file, long rowIndex) {
      if (!array) {
        for (int f : featureFields) {
          if (row.getFieldRepetitionCount(f) == 0) {
            throw nullValue(file, rowIndex, row.getType().getFieldName(f));
          }
          out.add(value(row, f, 0, file, rowIndex));
        }
        return;
      }
      int f = featureFields[0];
      Type t = row.getType().getType(f);
      if (t.isPrimitive()) {
        // Legacy 2-level list: the repeated primitive is the array.
        for (int i = 0; i < row.getFieldRepetitionCount(f); i++) {
          out.add(value(row, f, i, file, rowIndex));
        }
        return;
      }
      if (row.getFieldRepetitionCount(f) == 0) {
        throw nullValue(file, rowIndex, t.getName());
      }
      Group list = row.getGroup(f, 0);
      GroupType listType = list.getType();
      if (listType.getFieldCount() != 1) {
        throw notAList(file, t);
      }
      Type repeated = listType.getType(0);
      for (int i = 0; i < list.getFieldRepetitionCount(0); i++) {
        if (repeated.isPrimitive()) {
          out.add(value(list, 0, i, file, rowIndex));
        } else {
          Group element = list.getGroup(0, i);
          if (element.getType().getFieldCount() != 1
              || !element.getType().getType(0).isPrimitive()) {
            throw notAList(file, t);
          }
          if (element.getFieldRepetitionCount(0) == 0) {
            throw nullValue(file, rowIndex, t.getName() + "[" + i + "]");
          }
          out.add(value(element, 0, 0, file, rowIndex));
        }
      }
    }

    int label(Group row, Path file, long rowIndex) {
      if (row.getFieldRepetitionCount(labelField) == 0) {
        throw nullValue(file, rowIndex, row.getType().getFieldName(labelField));
      }
      long v =
          switch (row.getType().getType(labelField).asPrimitiveType().getPrimitiveTypeName()) {
            case INT64 -> row.getLong(labelField, 0);
            default -> row.getInteger(labelField, 0);
          };
      return Math.toIntExact(v);
    }

    private static float value(Group g, int field, int index, Path file, long row) {
      PrimitiveType t = g.getType().getType(field).asPrimitiveType();
      return switch (t.getPrimitiveTypeName()) {
        case FLOAT -> g.getFloat(field, index);
        case DOUBLE -> (float) g.getDouble(field, index);
        case INT32, INT64 -> {
          long v =
              t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT64
                  ? g.getLong(field, index)
                  : g.getInteger(field, index);
          if (v < 0 || v > 255) {
            throw new IllegalArgumentException(
                file
                    + " row "
                    + row
                    + " has the integer feature "
                    + v
                    + "; integer features are read as 8-bit pixels (0 to 255, divided by 255):"
                    + " store other features as float or double");
          }
          yield (int) v / 255f;
        }
        default ->
            throw new IllegalArgumentException(
                file + " column " + t + " is not numeric; features must be float, double or int");
      };
    }

    private static boolean integer(PrimitiveType t) {
      return t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT32
          || t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT64;
    }

    private static boolean numeric(PrimitiveType t) {
      return integer(t)
          || t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FLOAT
          || t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.DOUBLE;
    }

    private static IllegalArgumentException nullValue(Path file, long row, String column) {
      return new IllegalArgumentException(
          file + " row " + row + " has no value in '" + column + "'; drop or fill null rows first");
    }

    private static IllegalArgumentException notAList(Path file, Type t) {
      return new IllegalArgumentException(
          file + " column " + t + " is neither a numeric array nor a numeric column");
    }
  }
}
