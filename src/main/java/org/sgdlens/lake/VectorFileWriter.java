package org.sgdlens.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;

/**
 * Writes an uncompressed Parquet file of a chunked-vector table ({@code weights}, {@code
 * gradients}, {@code final_params}: required key columns, then {@code chunk, offset, length,
 * values}) by handing Parquet-java's {@link ParquetFileWriter} whole PLAIN-encoded pages.
 *
 * <p>Why not the record API ({@link ParquetRowWriter})? For a 256 KiB binary value it copies the
 * bytes four times (column buffer, page, column chunk, an 8 KiB channel shim) before they reach the
 * file; here a chunk is packed once from the float vector into a page and copied once into the
 * output buffer, and a vector that arrives packed (a gradient) is not copied into pages at all: the
 * pages refer to it until its row group is written. The file is the same Parquet: same schema,
 * PLAIN encoding, data page v1, min/max statistics on the key columns, none on {@code values} (as
 * the record writer, which has them disabled there). Rows are buffered into row groups of {@code
 * rowGroupBytes}.
 */
final class VectorFileWriter implements TableFileWriter {
  /** Bytes per data page of the values column. */
  static final int PAGE_BYTES = 1 << 20;

  private final TableSchema schema;
  private final Path path;
  private final MessageType messageType;
  private final List<Column> keys;
  private final long rowGroupBytes;
  private final ParquetFileWriter file;
  private final PooledAllocator pages;

  // The row group being buffered: key values per row, the values column in pages. A page's PLAIN
  // bytes are parts: runs of a pooled buffer (value lengths, and values copied from float
  // vectors) and ranges of packed vectors held by reference until the row group is written.
  private final List<Object[]> keyRows = new ArrayList<>();
  private final List<ValuesPage> valuePages = new ArrayList<>();
  private final List<ByteBuffer> buffers = new ArrayList<>();
  private final List<Runnable> releases = new ArrayList<>();
  private ByteBuffer buffer;
  private int mark;
  private long bufferedBytes;
  private long rows;
  private long dataSize;
  private boolean closed;
  // While a vector group is added: row group boundaries only between its chunks.
  private boolean holdRowGroup;

  /** Whether a table can be written by this class: required keys, then the chunk columns. */
  static boolean supports(TableSchema schema) {
    List<Column> columns = schema.fileColumns();
    int n = columns.size();
    if (n < 4
        || !columns.get(n - 4).name().equals("chunk")
        || columns.get(n - 4).type() != ColumnType.INTEGER
        || !columns.get(n - 3).name().equals(Columns.CHUNK_OFFSET)
        || columns.get(n - 3).type() != ColumnType.LONG
        || !columns.get(n - 2).name().equals("length")
        || columns.get(n - 2).type() != ColumnType.INTEGER
        || !columns.get(n - 1).name().equals("values")
        || columns.get(n - 1).type() != ColumnType.BINARY) {
      return false;
    }
    for (Column c : columns) {
      boolean plain =
          c.type() == ColumnType.INTEGER
              || c.type() == ColumnType.LONG
              || c.type() == ColumnType.STRING
              || c.type() == ColumnType.BINARY;
      if (c.nullable() || !plain) {
        return false;
      }
    }
    return true;
  }

  VectorFileWriter(
      TableSchema schema,
      Path path,
      Configuration conf,
      long rowGroupBytes,
      PooledAllocator pages) {
    if (!supports(schema)) {
      throw new IllegalArgumentException(
          "Table '" + schema.table() + "' is not a chunked-vector table");
    }
    this.schema = schema;
    this.path = path;
    this.messageType = RowWriteSupport.messageType(schema);
    List<Column> columns = schema.fileColumns();
    this.keys = columns.subList(0, columns.size() - 1);
    this.rowGroupBytes = rowGroupBytes;
    this.pages = pages;
    try {
      this.file =
          new ParquetFileWriter(
              DirectOutputFile.forPath(path, conf),
              messageType,
              ParquetFileWriter.Mode.OVERWRITE,
              rowGroupBytes,
              0,
              64,
              Integer.MAX_VALUE,
              // Page CRC32s: readers verify them (Lake.VERIFY_CHECKSUMS).
              true);
      file.start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open Parquet file " + path + " for writing", e);
    }
  }

  /** Rows {keys..., chunk, offset, length, values} of {@code vector} in chunks of {@code chunk}. */
  @Override
  public void writeVector(Object[] prefix, float[] vector, int chunk) {
    requireKeys(prefix);
    TableFileWriter.chunks(
        prefix,
        vector.length,
        chunk,
        (key, from, length) -> {
          ByteBuffer out = copied(length * Float.BYTES);
          int at = out.position();
          out.asFloatBuffer().put(vector, from, length);
          out.position(at + length * Float.BYTES);
          addRow(key, length * Float.BYTES);
        });
  }

  /**
   * The same rows for a vector already packed as little-endian float32: its chunks go into the
   * pages by reference, not copied, and {@code release} runs once the row group holding its last
   * chunk is in the file (the caller may then reuse {@code packed}).
   */
  @Override
  public void writeVector(Object[] prefix, byte[] packed, int chunk, Runnable release) {
    requireKeys(prefix);
    TableFileWriter.chunks(
        prefix,
        TableFileWriter.packedLength(packed),
        chunk,
        (key, from, length) -> {
          referenced(packed, from * Float.BYTES, length * Float.BYTES);
          addRow(key, length * Float.BYTES);
        });
    // After the chunks: a row group flushed while adding them still needs the later chunks.
    releases.add(release);
  }

  /**
   * The group's rows chunk-major, by reference like {@link #writeVector(Object[], byte[], int,
   * Runnable)}. A row group boundary comes before the group, after it, and otherwise only between
   * two chunks (once a row group holds {@code rowGroupBytes}): every chunk's rows of the group are
   * in one row group, and no row group holds rows of anything else.
   */
  @Override
  public void writeVectorGroup(
      List<Object[]> prefixes, List<byte[]> packed, int chunk, Runnable release) {
    int size = TableFileWriter.groupLength(prefixes, packed);
    prefixes.forEach(this::requireKeys);
    flushRowGroup();
    int chunks = VectorChunks.chunkCount(size, chunk);
    holdRowGroup = true;
    try {
      for (int c = 0; c < chunks; c++) {
        int from = c * chunk;
        int length = Math.min(chunk, size - from);
        for (int v = 0; v < packed.size(); v++) {
          referenced(packed.get(v), from * Float.BYTES, length * Float.BYTES);
          addRow(
              TableFileWriter.chunkKey(prefixes.get(v), c, from, length, 0), length * Float.BYTES);
        }
        if (bufferedBytes >= rowGroupBytes) {
          flushRowGroup();
        }
      }
    } finally {
      holdRowGroup = false;
    }
    releases.add(release);
    flushRowGroup();
  }

  /** A row given as values, as {@link ParquetRowWriter#write}: the last is the packed chunk. */
  @Override
  public void write(Object[] row) {
    if (row.length != keys.size() + 1) {
      throw new IllegalArgumentException(
          "Row for table '"
              + schema.table()
              + "' has "
              + row.length
              + " values, expected "
              + (keys.size() + 1));
    }
    Object value = row[row.length - 1];
    if (value == null) {
      throw new IllegalArgumentException(
          "Column 'values' of table '" + schema.table() + "' is not nullable");
    }
    Object[] key = java.util.Arrays.copyOf(row, row.length - 1);
    requireKeys(key);
    ByteBuffer bytes =
        value instanceof ByteBuffer b ? b.duplicate() : ByteBuffer.wrap((byte[]) value);
    int length = bytes.remaining();
    ByteBuffer out = copied(length);
    out.put(bytes);
    addRow(key, length);
  }

  /** PLAIN bytes of one data page of the values column, in parts. */
  private static final class ValuesPage {
    final List<BytesInput> parts = new ArrayList<>();
    int size;
    int count;
  }

  /**
   * The page a value of {@code length} bytes goes into: the current one while the value fits in
   * {@link #PAGE_BYTES} (a first value always fits), else a new one.
   */
  private ValuesPage pageFor(int length) {
    int need = Integer.BYTES + length;
    ValuesPage page = valuePages.isEmpty() ? null : valuePages.get(valuePages.size() - 1);
    if (page == null || (page.count > 0 && page.size + need > PAGE_BYTES)) {
      if (page != null) {
        endPart(page);
      }
      page = new ValuesPage();
      valuePages.add(page);
    }
    page.size += need;
    page.count++;
    return page;
  }

  /** Room in the pooled buffer for {@code bytes} more; the bytes before it are parts already. */
  private ByteBuffer room(ValuesPage page, int bytes) {
    if (buffer == null || buffer.remaining() < bytes) {
      endPart(page);
      buffer = pages.allocate(Math.max(PAGE_BYTES, bytes)).order(ByteOrder.LITTLE_ENDIAN);
      buffers.add(buffer);
      mark = 0;
    }
    return buffer;
  }

  /** Closes the pooled buffer's bytes since the last part as a part of {@code page}. */
  private void endPart(ValuesPage page) {
    if (buffer != null && buffer.position() > mark) {
      page.parts.add(
          BytesInput.from(buffer.array(), buffer.arrayOffset() + mark, buffer.position() - mark));
      mark = buffer.position();
    }
  }

  /** A value copied into the pooled buffer: its length is written, the buffer returned for it. */
  private ByteBuffer copied(int length) {
    ValuesPage page = pageFor(length);
    ByteBuffer out = room(page, Integer.BYTES + length);
    out.putInt(length);
    return out;
  }

  /** A value left in {@code packed}: its length in the pooled buffer, its bytes by reference. */
  private void referenced(byte[] packed, int offset, int length) {
    ValuesPage page = pageFor(length);
    room(page, Integer.BYTES).putInt(length);
    endPart(page);
    page.parts.add(BytesInput.from(packed, offset, length));
  }

  /**
   * Fails on a null among the first {@code key.length} key columns, before anything is buffered.
   */
  private void requireKeys(Object[] key) {
    for (int i = 0; i < key.length; i++) {
      if (key[i] == null) {
        throw new IllegalArgumentException(
            "Column '"
                + keys.get(i).name()
                + "' of table '"
                + schema.table()
                + "' is not nullable");
      }
    }
  }

  private void addRow(Object[] key, int valueBytes) {
    keyRows.add(key);
    bufferedBytes += Integer.BYTES + valueBytes;
    rows++;
    if (bufferedBytes >= rowGroupBytes && !holdRowGroup) {
      flushRowGroup();
    }
  }

  private void flushRowGroup() {
    if (keyRows.isEmpty()) {
      release();
      return;
    }
    try {
      long count = keyRows.size();
      file.startBlock(count);
      List<ColumnDescriptor> descriptors = messageType.getColumns();
      for (int k = 0; k < keys.size(); k++) {
        ColumnDescriptor d = descriptors.get(k);
        PrimitiveType type = d.getPrimitiveType();
        Statistics<?> stats = Statistics.createStats(type);
        byte[] plain = plainKeys(keys.get(k), k, stats);
        file.startColumn(d, count, CompressionCodecName.UNCOMPRESSED);
        file.writeDataPage(
            (int) count,
            plain.length,
            BytesInput.from(plain),
            stats,
            count,
            Encoding.BIT_PACKED,
            Encoding.BIT_PACKED,
            Encoding.PLAIN);
        file.endColumn();
        dataSize += plain.length;
      }
      ColumnDescriptor values = descriptors.get(keys.size());
      file.startColumn(values, count, CompressionCodecName.UNCOMPRESSED);
      endPart(valuePages.get(valuePages.size() - 1));
      for (ValuesPage page : valuePages) {
        file.writeDataPage(
            page.count,
            page.size,
            BytesInput.concat(page.parts),
            Statistics.createStats(values.getPrimitiveType()),
            page.count,
            Encoding.BIT_PACKED,
            Encoding.BIT_PACKED,
            Encoding.PLAIN);
        dataSize += page.size;
      }
      // No min/max on values, as the record writer: nobody filters on chunk bytes, and the
      // column index would otherwise describe pages by statistics that were never collected.
      file.invalidateStatistics(Statistics.createStats(values.getPrimitiveType()));
      file.endColumn();
      file.endBlock();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write to " + path, e);
    }
    // The output stream has copied every part: the buffers and packed vectors are free again.
    for (ByteBuffer b : buffers) {
      pages.release(b);
    }
    buffers.clear();
    buffer = null;
    mark = 0;
    valuePages.clear();
    keyRows.clear();
    bufferedBytes = 0;
    release();
  }

  /** Hands back the packed vectors whose every chunk is in the file. */
  private void release() {
    releases.forEach(Runnable::run);
    releases.clear();
  }

  /** Key column {@code k} of the buffered rows, PLAIN-encoded, its statistics updated. */
  private byte[] plainKeys(Column column, int k, Statistics<?> stats) {
    int width =
        switch (column.type()) {
          case INTEGER -> Integer.BYTES;
          case LONG -> Long.BYTES;
          default -> -1;
        };
    ByteBuffer out;
    if (width > 0) {
      out = ByteBuffer.allocate(width * keyRows.size()).order(ByteOrder.LITTLE_ENDIAN);
      for (Object[] row : keyRows) {
        if (width == Integer.BYTES) {
          int v = (Integer) row[k];
          out.putInt(v);
          stats.updateStats(v);
        } else {
          long v = (Long) row[k];
          out.putLong(v);
          stats.updateStats(v);
        }
      }
    } else {
      List<byte[]> values = new ArrayList<>(keyRows.size());
      int size = 0;
      for (Object[] row : keyRows) {
        byte[] b =
            row[k] instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) row[k];
        values.add(b);
        size += Integer.BYTES + b.length;
      }
      out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
      for (byte[] b : values) {
        out.putInt(b.length);
        out.put(b);
        stats.updateStats(Binary.fromConstantByteArray(b));
      }
    }
    return out.array();
  }

  @Override
  public long rows() {
    return rows;
  }

  /** Bytes handed to the file so far plus those buffered in the open row group. */
  @Override
  public long dataSize() {
    return dataSize + bufferedBytes;
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    flushRowGroup();
    Map<String, String> meta = new HashMap<>();
    meta.put("sgdlens.table", schema.table());
    meta.put("sgdlens.schema_version", Integer.toString(schema.version()));
    try {
      file.end(meta);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot close " + path, e);
    }
  }
}
