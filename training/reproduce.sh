#!/usr/bin/env bash
# Re-train the checkpoints shipped in resources/checkpoints/ (see training/README.md).
#
#   training/reproduce.sh                   # all of them
#   training/reproduce.sh mnist10k-vae ...  # only these (names without .safetensors)
#
# PYTHON (default .venv/bin/python) runs the CLI. The data is the MNIST test split shipped in
# resources/datasets/mnist-t10k: each model trains on its first 9,000 images, and
# training.recognisability then measures it on the other 1,000 and writes the figure into the checkpoint.
# Each run is deterministic: same torch build and device, same weights.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
OUT=resources/checkpoints
mkdir -p "$OUT"

run() {  # run NAME ARGS...: train resources/checkpoints/NAME.safetensors, then measure it
    local name=$1
    shift
    if [[ ${#WANTED[@]} -gt 0 && ! " ${WANTED[*]} " == *" $name "* ]]; then
        return 0
    fi
    echo "== $name"
    "$PYTHON" -m training.train_vae "$@" --out "$OUT/$name.safetensors"
    "$PYTHON" -m training.recognisability "$OUT/$name.safetensors" --train 9000
}

WANTED=("$@")
NAMES=" mnist10k-vae mnist10k-ae mnist10k-vae-beta4 "
for name in "${WANTED[@]}"; do
    if [[ $NAMES != *" $name "* ]]; then
        echo "reproduce.sh: unknown checkpoint '$name'; known:$NAMES" >&2
        exit 2
    fi
done
# --threads 1: these small models gain little from more CPU threads, and one thread is not slowed down by
# other busy processes; the weights do not depend on it.
MNIST=(--dataset mnist --n-images 9000 --latent 2 --batch 128 --lr 1e-3 --seed 0 --threads 1)
run mnist10k-vae "${MNIST[@]}" --model mlp-vae --beta 1 --epochs 150
run mnist10k-ae "${MNIST[@]}" --model mlp-ae --epochs 50
run mnist10k-vae-beta4 "${MNIST[@]}" --model mlp-vae --beta 4 --epochs 50
