#!/usr/bin/env bash
# Re-train the checkpoints shipped in resources/checkpoints/ (see training/README.md).
#
#   training/reproduce.sh                 # all of them
#   training/reproduce.sh shapes-vae ...  # only these (names without .safetensors)
#
# PYTHON (default .venv/bin/python) runs the CLI. MNIST_DIR is the folder holding the MNIST test split,
# t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (default: <vaeviz cache_dir()>/mnist, where
# vaeviz.core.data.datasets.fetch_mnist puts them). Each run is deterministic: same torch build and device,
# same weights.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
OUT=resources/checkpoints
mkdir -p "$OUT"

mnist_dir() {
    if [[ -n ${MNIST_DIR:-} ]]; then
        echo "$MNIST_DIR"
    else
        "$PYTHON" -c 'from vaeviz.core.data.datasets import cache_dir; print(cache_dir() / "mnist")'
    fi
}

run() {  # run NAME ARGS...: train resources/checkpoints/NAME.safetensors
    local name=$1
    shift
    if [[ ${#WANTED[@]} -gt 0 && ! " ${WANTED[*]} " == *" $name "* ]]; then
        return 0
    fi
    echo "== $name"
    "$PYTHON" -m training.train_vae "$@" --out "$OUT/$name.safetensors"
}

WANTED=("$@")
NAMES=" shapes-vae shapes-ae shapes-vae-beta4 shapes-vae-beta0.25 mnist10k-vae mnist10k-ae "
for name in "${WANTED[@]}"; do
    if [[ $NAMES != *" $name "* ]]; then
        echo "reproduce.sh: unknown checkpoint '$name'; known:$NAMES" >&2
        exit 2
    fi
done
# --threads 1: these small models gain little from more CPU threads, and one thread is not slowed down by
# other busy processes; the weights do not depend on it.
SHAPES=(--dataset shapes --latent 2 --epochs 60 --batch 128 --lr 1e-3 --seed 0 --threads 1)
run shapes-vae "${SHAPES[@]}" --model mlp-vae --beta 1
run shapes-ae "${SHAPES[@]}" --model mlp-ae
run shapes-vae-beta4 "${SHAPES[@]}" --model mlp-vae --beta 4
run shapes-vae-beta0.25 "${SHAPES[@]}" --model mlp-vae --beta 0.25

if [[ ${#WANTED[@]} -eq 0 || " ${WANTED[*]} " == *" mnist10k-"* ]]; then
    DIR=$(mnist_dir)
    if [[ ! -f $DIR/t10k-images-idx3-ubyte.gz || ! -f $DIR/t10k-labels-idx1-ubyte.gz ]]; then
        echo "reproduce.sh: MNIST test split not found in $DIR; set MNIST_DIR to the folder holding" \
             "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz" >&2
        exit 2
    fi
    MNIST=(--dataset mnist-idx --images "$DIR/t10k-images-idx3-ubyte.gz" --labels "$DIR/t10k-labels-idx1-ubyte.gz"
           --latent 2 --epochs 50 --batch 128 --lr 1e-3 --seed 0 --threads 1)
    run mnist10k-vae "${MNIST[@]}" --model mlp-vae --beta 1
    run mnist10k-ae "${MNIST[@]}" --model mlp-ae
fi
