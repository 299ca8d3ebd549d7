package org.sgdlens.kernel;

/**
 * Nearest reference row of the same label for each query row, by squared Euclidean distance: the
 * pairing of the duality job (each test sample with its nearest training sample of the same class).
 * A search over a block of queries and a block of references gives each query's best candidate in
 * that block; {@link #better} reduces candidates from different reference blocks, so the blocks can
 * be spread over tasks and the result equals the search over all references at once. Ties go to the
 * smaller reference id, so the result does not depend on how the references are split.
 */
public final class NearestNeighbours {
  private NearestNeighbours() {}

  /** No reference of the query's label: {@code reference = -1}, {@code distance2 = +∞}. */
  public static final int NONE = -1;

  /** The best candidate of one query: reference id and squared distance. */
  public record Match(int query, int reference, double distance2) implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * For each query row, the reference row of the same label with the smallest squared distance.
   *
   * @param queries query feature rows, each of length {@code dim}
   * @param queryIds ids of the query rows (returned in {@link Match#query()})
   * @param references reference feature rows
   * @param referenceIds ids of the reference rows (returned in {@link Match#reference()})
   */
  public static Match[] nearest(
      double[][] queries,
      int[] queryIds,
      int[] queryLabels,
      double[][] references,
      int[] referenceIds,
      int[] referenceLabels) {
    if (queryIds.length != queries.length || queryLabels.length != queries.length) {
      throw new IllegalArgumentException(
          "Queries: "
              + queries.length
              + " rows, "
              + queryIds.length
              + " ids, "
              + queryLabels.length
              + " labels");
    }
    if (referenceIds.length != references.length || referenceLabels.length != references.length) {
      throw new IllegalArgumentException(
          "References: "
              + references.length
              + " rows, "
              + referenceIds.length
              + " ids, "
              + referenceLabels.length
              + " labels");
    }
    Match[] out = new Match[queries.length];
    for (int q = 0; q < queries.length; q++) {
      double[] x = queries[q];
      int best = NONE;
      double bestDistance = Double.POSITIVE_INFINITY;
      for (int r = 0; r < references.length; r++) {
        if (referenceLabels[r] != queryLabels[q]) {
          continue;
        }
        double[] y = references[r];
        if (y.length != x.length) {
          throw new IllegalArgumentException(
              "Reference row "
                  + referenceIds[r]
                  + " has "
                  + y.length
                  + " features, query "
                  + x.length);
        }
        double d = 0;
        for (int i = 0; i < x.length; i++) {
          double diff = x[i] - y[i];
          d += diff * diff;
        }
        if (d < bestDistance || (d == bestDistance && referenceIds[r] < best)) {
          bestDistance = d;
          best = referenceIds[r];
        }
      }
      out[q] = new Match(queryIds[q], best, bestDistance);
    }
    return out;
  }

  /** The better of two candidates of one query: smaller distance, then smaller reference id. */
  public static Match better(Match a, Match b) {
    if (a.query() != b.query()) {
      throw new IllegalArgumentException(
          "Candidates of queries " + a.query() + " and " + b.query() + " cannot be compared");
    }
    if (a.reference() == NONE) {
      return b;
    }
    if (b.reference() == NONE) {
      return a;
    }
    if (a.distance2() != b.distance2()) {
      return a.distance2() < b.distance2() ? a : b;
    }
    return a.reference() <= b.reference() ? a : b;
  }
}
