package org.sgdlens.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/** Writes one Parquet file of a lake table from {@code Object[]} rows (file columns only). */
public final class ParquetRowWriter implements TableFileWriter {
  private final ParquetWriter<Object[]> writer;
  private final Path path;
  private long rows;
  private java.nio.ByteBuffer packBuffer;

  public ParquetRowWriter(
      TableSchema schema, Path path, Configuration conf, CompressionCodecName codec) {
    this(schema, path, conf, codec, HeapByteBufferAllocator.getInstance());
  }

  /** A writer whose page buffers come from {@code allocator} (see {@link PooledAllocator}). */
  ParquetRowWriter(
      TableSchema schema,
      Path path,
      Configuration conf,
      CompressionCodecName codec,
      ByteBufferAllocator allocator) {
    this.path = path;
    try {
      Builder builder =
          new Builder(DirectOutputFile.forPath(path, conf), schema)
              .withConf(conf)
              .withAllocator(allocator)
              .withCompressionCodec(codec)
              .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
              .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
              .withPageSize(1 << 20)
              .withRowGroupSize(64L << 20);
      // Vector chunks never repeat and nobody filters on their bytes: a dictionary, min/max
      // statistics and size statistics over 256 KiB values only cost time on the hot write path.
      // Every page carries a CRC32 that readers verify (Lake.VERIFY_CHECKSUMS), so a flipped byte
      // fails the read naming the file instead of becoming a silently wrong value.
      builder.withPageWriteChecksumEnabled(true);
      for (Column column : schema.fileColumns()) {
        if (column.type() == ColumnType.BINARY || column.type() == ColumnType.FLOAT_ARRAY) {
          String columnPath =
              column.type() == ColumnType.FLOAT_ARRAY
                  ? column.name() + ".list.element"
                  : column.name();
          builder.withDictionaryEncoding(columnPath, false);
          builder.withStatisticsEnabled(columnPath, false);
          builder.withSizeStatisticsEnabled(columnPath, false);
        }
      }
      this.writer = builder.build();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open Parquet file " + path + " for writing", e);
    }
  }

  /** Packs each chunk into one reused buffer: Parquet copies the bytes during the write. */
  @Override
  public void writeVector(Object[] prefix, float[] vector, int chunk) {
    if (packBuffer == null || packBuffer.capacity() < chunk * Float.BYTES) {
      packBuffer = VectorChunks.buffer(chunk);
    }
    TableFileWriter.chunks(
        prefix,
        vector.length,
        chunk,
        (key, from, length) -> {
          Object[] row = java.util.Arrays.copyOf(key, key.length + 1);
          row[key.length] = VectorChunks.packInto(packBuffer, vector, from, length);
          write(row);
        });
  }

  /** The record writer copies every value as it is written: {@code release} runs on return. */
  @Override
  public void writeVector(Object[] prefix, byte[] packed, int chunk, Runnable release) {
    TableFileWriter.chunks(
        prefix,
        TableFileWriter.packedLength(packed),
        chunk,
        (key, from, length) -> {
          Object[] row = java.util.Arrays.copyOf(key, key.length + 1);
          row[key.length] =
              java.nio.ByteBuffer.wrap(packed, from * Float.BYTES, length * Float.BYTES);
          write(row);
        });
    release.run();
  }

  @Override
  public void write(Object[] row) {
    try {
      writer.write(row);
      rows++;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write to " + path, e);
    }
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long dataSize() {
    return writer.getDataSize();
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot close " + path, e);
    }
  }

  private static final class Builder extends ParquetWriter.Builder<Object[], Builder> {
    private final TableSchema schema;

    Builder(OutputFile file, TableSchema schema) {
      super(file);
      this.schema = schema;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Object[]> getWriteSupport(Configuration conf) {
      return new RowWriteSupport(schema);
    }
  }
}
