package org.sgdlens.lake;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Writes rows given as {@code Object[]} in the order of a table's file columns. Values: String,
 * Integer, Long, Float, Double, Boolean, byte[] or a heap ByteBuffer (binary: its remaining bytes,
 * read only during the write, so the caller may reuse the buffer), Instant (timestamp) and float[]
 * (array of float). Null only where the column is nullable.
 */
final class RowWriteSupport extends WriteSupport<Object[]> {
  private final TableSchema schema;
  private final List<Column> columns;
  private final MessageType messageType;
  private RecordConsumer consumer;

  RowWriteSupport(TableSchema schema) {
    this.schema = schema;
    this.columns = schema.fileColumns();
    this.messageType = messageType(schema);
  }

  static MessageType messageType(TableSchema schema) {
    Types.MessageTypeBuilder builder = Types.buildMessage();
    for (Column column : schema.fileColumns()) {
      Type.Repetition repetition =
          column.nullable() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
      Type type =
          switch (column.type()) {
            case STRING ->
                Types.primitive(PrimitiveTypeName.BINARY, repetition)
                    .as(LogicalTypeAnnotation.stringType())
                    .named(column.name());
            case INTEGER ->
                Types.primitive(PrimitiveTypeName.INT32, repetition).named(column.name());
            case LONG -> Types.primitive(PrimitiveTypeName.INT64, repetition).named(column.name());
            case FLOAT -> Types.primitive(PrimitiveTypeName.FLOAT, repetition).named(column.name());
            case DOUBLE ->
                Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(column.name());
            case BOOLEAN ->
                Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(column.name());
            case BINARY ->
                Types.primitive(PrimitiveTypeName.BINARY, repetition).named(column.name());
            case TIMESTAMP ->
                Types.primitive(PrimitiveTypeName.INT64, repetition)
                    .as(
                        LogicalTypeAnnotation.timestampType(
                            true, LogicalTypeAnnotation.TimeUnit.MICROS))
                    .named(column.name());
            case FLOAT_ARRAY ->
                Types.list(repetition)
                    .requiredElement(PrimitiveTypeName.FLOAT)
                    .named(column.name());
            case DOUBLE_ARRAY ->
                Types.list(repetition)
                    .requiredElement(PrimitiveTypeName.DOUBLE)
                    .named(column.name());
          };
      builder.addField(type);
    }
    return builder.named("spark_schema");
  }

  @Override
  public WriteContext init(Configuration configuration) {
    HashMap<String, String> meta = new HashMap<>();
    meta.put("sgdlens.table", schema.table());
    meta.put("sgdlens.schema_version", Integer.toString(schema.version()));
    return new WriteContext(messageType, meta);
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.consumer = recordConsumer;
  }

  @Override
  public void write(Object[] row) {
    if (row.length != columns.size()) {
      throw new IllegalArgumentException(
          "Row for table '"
              + schema.table()
              + "' has "
              + row.length
              + " values, expected "
              + columns.size()
              + " ("
              + columns.stream().map(Column::name).toList()
              + ")");
    }
    consumer.startMessage();
    for (int i = 0; i < row.length; i++) {
      Column column = columns.get(i);
      Object value = row[i];
      if (value == null) {
        if (!column.nullable()) {
          throw new IllegalArgumentException(
              "Column '" + column.name() + "' of table '" + schema.table() + "' is not nullable");
        }
        continue;
      }
      consumer.startField(column.name(), i);
      writeValue(column, value);
      consumer.endField(column.name(), i);
    }
    consumer.endMessage();
  }

  private void writeValue(Column column, Object value) {
    switch (column.type()) {
      case STRING -> consumer.addBinary(Binary.fromString((String) value));
      case INTEGER -> consumer.addInteger((Integer) value);
      case LONG -> consumer.addLong((Long) value);
      case FLOAT -> consumer.addFloat((Float) value);
      case DOUBLE -> consumer.addDouble((Double) value);
      case BOOLEAN -> consumer.addBoolean((Boolean) value);
      case BINARY ->
          consumer.addBinary(
              value instanceof ByteBuffer buffer
                  ? Binary.fromReusedByteBuffer(buffer)
                  : Binary.fromConstantByteArray((byte[]) value));
      case TIMESTAMP -> {
        Instant instant = (Instant) value;
        consumer.addLong(instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000);
      }
      case FLOAT_ARRAY -> {
        float[] values = (float[]) value;
        consumer.startGroup();
        if (values.length > 0) {
          consumer.startField("list", 0);
          for (float v : values) {
            consumer.startGroup();
            consumer.startField("element", 0);
            consumer.addFloat(v);
            consumer.endField("element", 0);
            consumer.endGroup();
          }
          consumer.endField("list", 0);
        }
        consumer.endGroup();
      }
      case DOUBLE_ARRAY -> {
        double[] values = (double[]) value;
        consumer.startGroup();
        if (values.length > 0) {
          consumer.startField("list", 0);
          for (double v : values) {
            consumer.startGroup();
            consumer.startField("element", 0);
            consumer.addDouble(v);
            consumer.endField("element", 0);
            consumer.endGroup();
          }
          consumer.endField("list", 0);
        }
        consumer.endGroup();
      }
    }
  }
}
