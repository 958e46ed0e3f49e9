#!/usr/bin/env bash
# GPU check of the NLU model: train BANKING77 (train_minus_dev -> dev) and measure parse
# throughput at batch sizes 1..256, all within ~8 minutes on one GPU.
#   bench/gpu_check.sh            # on the GPU (device auto -> cuda, bf16)
#   bench/gpu_check.sh --small    # CPU smoke run on a small slice (< 1 minute)
# Figures land in ${OUT:-/tmp/nlu_gpu_check}/ (quality report.json, speed.json) and on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
OUT=${OUT:-/tmp/nlu_gpu_check}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

if [ "${1:-}" = "--small" ]; then
  device=cpu
  train_args=(--per-intent 3 --epochs 1 --max-length 32 --threads 2 --quiet)
  speed_args=(--threads 1 --n 48 --concurrency 1,8 --batch-sizes 1,8,32 --skip-naive)
else
  device=auto
  train_args=(--epochs 8 --batch-size 32)
  speed_args=(--n 4096 --concurrency 1,8,64 --batch-sizes 1,2,4,8,16,32,64,128,256)
  "$PY" -c 'import torch; print("cuda:", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
fi

mkdir -p "$OUT"
start=$(date +%s)
"$PY" bench/nlu_quality.py banking77 --device "$device" --out "$OUT" "${train_args[@]}" \
  | tee "$OUT/quality.log"
"$PY" bench/nlu_speed.py --model "$OUT/banking77/model" --device "$device" \
  --json "$OUT/speed.json" "${speed_args[@]}" | tee "$OUT/speed.log"
echo "gpu_check done in $(( $(date +%s) - start )) s; figures in $OUT"
