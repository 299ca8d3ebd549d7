#!/usr/bin/env bash
# The authors' variance-flatness protocol on a seeded Fashion-MNIST subset (docs/science.md section 3):
# MLP 784-50-50-10 without biases, plain SGD lr 0.1, batch 50, the 50x50 hidden-to-hidden matrix
# (fc2.weight) recorded every step, 30,000 steps on 100 samples per class (a 50-50 MLP does not
# reach the authors' 99% training accuracy on all of Fashion-MNIST; on this subset it does), window
# of the last 12,000 steps once training accuracy stays above 0.99, 200 directions.
# Prints psi with its CI, gamma, the components holding 90% of the variance and each stage's time.
# Usage: bench/variance-flatness-protocol.sh [LAKE]   (about 4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
L="${1:-$(mktemp -d)/lake}"
t0=$(date +%s)
jobs/train --lake "$L" --run-id psi-fmnist --per-class 100 --hidden 50,50 --no-bias --lr 0.1 \
  --batch-size 50 --steps 30000 --set record.weights.every=1 --set 'record.layers=[fc2.weight]' \
  --set record.metrics.every=500 --quiet
t1=$(date +%s)
jobs/trajectory-pca --lake "$L" --run psi-fmnist --last 12000 --min-train-accuracy 0.99 --directions 200
t2=$(date +%s)
jobs/landscape --lake "$L" --run psi-fmnist --components 1-200
t3=$(date +%s)
jobs/variance-flatness --lake "$L" --run psi-fmnist
t4=$(date +%s)
echo "wall times: train $((t1 - t0)) s, trajectory-pca $((t2 - t1)) s, landscape $((t3 - t2)) s, variance-flatness $((t4 - t3)) s"
