package org.sgdlens.lake;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.EnumSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code crashfs:}, with a switch that makes it behave as a
 * killed process sees it: after {@link #kill()} nothing more reaches the disk (every write, close,
 * rename, delete and mkdir fails, and bytes still buffered in open streams are lost), until {@link
 * #revive()} starts "the next process". Optionally it also has no atomic folder rename, as an
 * object store.
 */
public final class CrashingFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "crashfs";
  private static volatile boolean dead;
  private static volatile boolean objectStore;
  private static volatile long bytesLeft = Long.MAX_VALUE;

  /** A Hadoop configuration that maps {@code crashfs:} to this class (and caches nothing). */
  public static Configuration conf() {
    Configuration conf = new Configuration();
    conf.set("fs." + SCHEME + ".impl", CrashingFileSystem.class.getName());
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    return conf;
  }

  /** A lake at a local folder, seen through this file system. */
  public static Lake lake(java.nio.file.Path dir) {
    return Lake.open(SCHEME + "://" + dir.toAbsolutePath(), conf());
  }

  /** From now on nothing reaches the disk. */
  public static void kill() {
    dead = true;
  }

  /** The next process: the disk works again. Also resets the other switches. */
  public static void revive() {
    dead = false;
    objectStore = false;
    bytesLeft = Long.MAX_VALUE;
  }

  /**
   * Folders cannot be renamed (an object store copies files one by one; sgdlens must not rely on
   * it).
   */
  public static void objectStore(boolean on) {
    objectStore = on;
  }

  /** The disk fills up after {@code bytes} more bytes; writes beyond fail with ENOSPC's message. */
  public static void diskFullAfter(long bytes) {
    bytesLeft = bytes;
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  private static void alive() throws IOException {
    if (dead) {
      throw new IOException("simulated kill: this process is gone");
    }
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    alive();
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    alive();
    return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream createNonRecursive(
      Path f,
      FsPermission permission,
      EnumSet<CreateFlag> flags,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    alive();
    return super.createNonRecursive(
        f, permission, flags, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream createNonRecursive(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    alive();
    return super.createNonRecursive(
        f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream append(Path f, int bufferSize, Progressable progress)
      throws IOException {
    alive();
    return super.append(f, bufferSize, progress);
  }

  /** Every stream of the file system ends here, below Hadoop's buffer. */
  @Override
  protected OutputStream createOutputStream(Path f, boolean append) throws IOException {
    alive();
    return guard(super.createOutputStream(f, append));
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission)
      throws IOException {
    alive();
    return guard(super.createOutputStreamWithMode(f, append, permission));
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    alive();
    if (objectStore && getFileStatus(src).isDirectory()) {
      throw new IOException("this object store cannot rename the folder " + src);
    }
    return super.rename(src, dst);
  }

  @Override
  public boolean delete(Path p, boolean recursive) throws IOException {
    alive();
    return super.delete(p, recursive);
  }

  @Override
  public boolean mkdirs(Path f) throws IOException {
    alive();
    return super.mkdirs(f);
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    alive();
    return super.mkdirs(f, permission);
  }

  @Override
  public void setTimes(Path p, long mtime, long atime) throws IOException {
    alive();
    super.setTimes(p, mtime, atime);
  }

  private static OutputStream guard(OutputStream inner) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        spend(1);
        inner.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        spend(len);
        inner.write(b, off, len);
      }

      @Override
      public void flush() throws IOException {
        alive();
        inner.flush();
      }

      @Override
      public void close() throws IOException {
        // What Hadoop's buffer still held was written above (and refused when dead); the file
        // descriptor itself is closed even then, as the kernel does for a killed process.
        inner.close();
        alive();
      }
    };
  }

  private static synchronized void spend(long n) throws IOException {
    alive();
    if (n > bytesLeft) {
      bytesLeft = 0;
      throw new IOException("No space left on device");
    }
    bytesLeft -= n;
  }
}
