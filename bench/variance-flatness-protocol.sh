#!/usr/bin/env bash
# The variance-flatness protocol on a seeded Fashion-MNIST subset (docs/science.md section 3), one
# trajectory analysed under both conventions (docs/variance-flatness.md, "Two conventions"):
#   training: jobs/train --authors-protocol (MLP 784-50-50-10 without biases, plain SGD lr 0.1,
#     batch 50, fc2.weight recorded every step, stopped at the first epoch end where the mean
#     training accuracy of the last 9 epochs is above 0.99 and the training loss below 5e-5), on
#     100 samples per class (a 50-50 MLP does not fit all of Fashion-MNIST), capped at 200,000 steps;
#   sgdlens defaults: window of the last 12,000 steps once the training accuracy stays above 0.99,
#     200 directions, flatness of components 1-200 (geometric search), psi over components 2-200;
#   the authors' convention (--authors-protocol on each analysis): the last 12,000 steps, 1,000
#     directions, flatness of every 10th component up to 1,000 with their search, psi over
#     components 11, 21, ..., 991.
# The second convention runs on a hard-linked copy of the lake (result tables hold one analysis per
# run). Prints both psi lines with their CIs, R^2, components and gamma, and each stage's time.
# Usage: bench/variance-flatness-protocol.sh [LAKE]   (about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
L="${1:-$(mktemp -d)/lake}"
A="$L-authors"
R=psi-fmnist
t0=$(date +%s)
jobs/train --lake "$L" --run-id "$R" --authors-protocol --per-class 100 --steps 200000 \
  --set record.metrics.every=500 --quiet
t1=$(date +%s)
rm -rf "$A"
cp -al "$L" "$A"
jobs/trajectory-pca --lake "$L" --run "$R" --last 12000 --min-train-accuracy 0.99 --directions 200
t2=$(date +%s)
jobs/landscape --lake "$L" --run "$R" --components 1-200
t3=$(date +%s)
jobs/variance-flatness --lake "$L" --run "$R" | tee "$L.psi"
t4=$(date +%s)
jobs/trajectory-pca --lake "$A" --run "$R" --authors-protocol
t5=$(date +%s)
jobs/landscape --lake "$A" --run "$R" --authors-protocol
t6=$(date +%s)
jobs/variance-flatness --lake "$A" --run "$R" --authors-protocol | tee "$A.psi"
t7=$(date +%s)
echo
echo "sgdlens defaults: $(grep "^$R " "$L.psi")"
echo "authors' protocol: $(grep "^$R " "$A.psi")"
echo "wall times: train $((t1 - t0)) s; sgdlens defaults: trajectory-pca $((t2 - t1)) s," \
  "landscape $((t3 - t2)) s, variance-flatness $((t4 - t3)) s; authors': trajectory-pca" \
  "$((t5 - t4)) s, landscape $((t6 - t5)) s, variance-flatness $((t7 - t6)) s"
