#!/usr/bin/env bash
# Create .venv (once) and install the project with its dev extras and the test-only reference
# packages (tests/reference-packages.txt, without their dependencies); reinstall only when
# pyproject.toml or that list changes. torch is pinned exactly in pyproject; which build of it
# comes (the CPU build on Linux without an NVIDIA GPU, else PyPI's) is decided by
# scripts/torch_install_args.py, CUNET_TORCH=cpu|cuda|auto overriding it. pip's own output shows
# the progress (a fresh install downloads a few hundred MB); it goes to stderr, as this script's
# other messages do.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-pyproject.sha256"
python="${PYTHON:-python3}"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv"
fi
reference_packages="$root/tests/reference-packages.txt"
wanted="$(cat "$root/pyproject.toml" "$reference_packages" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  torch_args="$("$venv/bin/python" "$root/scripts/torch_install_args.py")"  # it says which torch, and why
  if [ -n "$torch_args" ]; then
    # shellcheck disable=SC2086  # one argument a line, none with a space: split on purpose
    "${pip[@]}" install $torch_args >&2
  fi
  echo "installing cunet-studio and its dependencies into $venv" >&2
  "${pip[@]}" install -e "$root[dev]" >&2
  "${pip[@]}" install --no-deps -r "$reference_packages" >&2
  echo "$wanted" > "$stamp"
fi
