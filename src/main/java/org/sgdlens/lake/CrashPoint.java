package org.sgdlens.lake;

/**
 * The named steps of the commit and checkpoint protocols. A process may die between any two of
 * them; rerunning the same command must then leave the lake exactly as an uninterrupted run would
 * (docs/lake.md). {@link Lake#at} marks each point, and the crash-point tests stop a run at every
 * one of them.
 */
public enum CrashPoint {
  /** The run's lease is held; nothing of the run is written yet. */
  LEASE_ACQUIRED,
  /** A new staged data file has its first rows buffered; the file is incomplete. */
  STAGED_FILE_OPENED,
  /** A checkpoint closed the open staged files; its state is not written yet. */
  CHECKPOINT_FILES_CLOSED,
  /** The checkpoint's state is written to a temporary file, not yet renamed. */
  CHECKPOINT_STATE_WRITTEN,
  /** The new checkpoint is in place; the previous one is not deleted yet. */
  CHECKPOINT_PUBLISHED,
  /** Every staged file and the staged runs row are closed; no commit intent yet. */
  COMMIT_STAGED,
  /**
   * The commit intent (the list of files to move) is durable: from here the commit only rolls
   * forward.
   */
  COMMIT_INTENT_WRITTEN,
  /** The run's earlier partitions and runs row are deleted (the run is invisible). */
  COMMIT_PARTITIONS_CLEARED,
  /** One more staged file is moved into its table partition. */
  COMMIT_FILE_MOVED,
  /** The runs row is in place: the run is committed; the staging folder still exists. */
  COMMIT_RUNS_ROW_MOVED,
  /** The staging folder is gone; the lease is not released yet. */
  COMMIT_STAGING_REMOVED,
  /** A failed run's FAILED row is written; its staged files stay for a resume. */
  FAILED_ROW_WRITTEN
}
