#!/usr/bin/env bash
# Create .venv (once) and install the project with its dev extras; reinstall only when
# pyproject.toml changes. torch is pinned to 2.13.0 in pyproject: the CPU build on this kind of
# machine, never an unpinned multi-GB CUDA download.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-pyproject.sha256"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv"
fi
wanted="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "installing cunet-studio and its dependencies into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -e "$root[dev]"
  echo "$wanted" > "$stamp"
fi
