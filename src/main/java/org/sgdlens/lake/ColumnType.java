package org.sgdlens.lake;

import java.util.Locale;

/** Column types a lake table may use, named as in Spark's StructType JSON. */
public enum ColumnType {
  STRING("string"),
  INTEGER("integer"),
  LONG("long"),
  FLOAT("float"),
  DOUBLE("double"),
  BOOLEAN("boolean"),
  BINARY("binary"),
  TIMESTAMP("timestamp"),
  FLOAT_ARRAY("array<float>"),
  DOUBLE_ARRAY("array<double>");

  private final String sparkName;

  ColumnType(String sparkName) {
    this.sparkName = sparkName;
  }

  public String sparkName() {
    return sparkName;
  }

  /** Parses a Spark JSON type name; arrays arrive as "array<element>". */
  public static ColumnType fromSparkName(String name) {
    String normal = name.toLowerCase(Locale.ROOT);
    for (ColumnType type : values()) {
      if (type.sparkName.equals(normal)) {
        return type;
      }
    }
    throw new IllegalArgumentException(
        "Unsupported column type '"
            + name
            + "' in a schema file; use one of string, integer, long, float, double, boolean,"
            + " binary, timestamp or an array of float or double");
  }
}
