"""numpy peer of trajectory-pca (bench/analysis-scale/run.sh, TrajectoryPcaScaleBench).

Reads a T x P float32 window (.npy, rows in step order), and times, best of REPEATS after one
warm-up, the two routes numpy offers: the T x T Gram of the centred window and its eigh, and the
P x P covariance and its eigh (both with eigenvectors, as the job needs directions). Prints one
line per route, "<route> <seconds>", and saves the Gram route's variances (ddof=1, descending,
min(T-1, P) of them) to OUT for the Java side to compare.

Usage: python3 numpy_pca.py WINDOW.npy OUT.npy REPEATS
"""

import os
import sys
import time

import numpy as np


def best(repeats, fn):
    result = fn()  # warm-up
    fastest = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, result


def main():
    window, out, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    x = np.load(window).astype(np.float64)
    t, p = x.shape
    rank = min(t - 1, p)

    def gram():
        xc = x - x.mean(axis=0)
        values, _ = np.linalg.eigh(xc @ xc.T)
        return values[::-1][:rank] / (t - 1)

    def covariance():
        xc = x - x.mean(axis=0)
        values, _ = np.linalg.eigh((xc.T @ xc) / (t - 1))
        return values[::-1][:rank]

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"numpy {np.__version__} T={t} P={p} OPENBLAS_NUM_THREADS={threads}")
    seconds, variances = best(repeats, gram)
    print(f"gram_eigh {seconds:.4f}")
    np.save(out, variances)
    seconds, _ = best(repeats, covariance)
    print(f"covariance_eigh {seconds:.4f}")


if __name__ == "__main__":
    main()
