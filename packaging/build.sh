#!/usr/bin/env bash
# Build the one-folder bundle dist/cunet-studio/: the `cunet-studio` app, the `engine` CLI and
# resources/, from the project's .venv (set up on first use). PyInstaller keeps its cache in
# build/, so a rebuild after small changes takes seconds; pass --clean for a cold build.
# Other arguments go to PyInstaller. See docs/packaging.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/ensure-venv.sh"
python="$root/.venv/bin/python"
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "error: PyInstaller is not installed in $root/.venv; run: $root/.venv/bin/pip install -e '$root[dev]'" >&2
  exit 2
fi

cd "$root"
started=$SECONDS
"$python" -m PyInstaller --noconfirm --log-level WARN --distpath "$root/dist" --workpath "$root/build" \
  "$@" "$root/packaging/cunet-studio.spec"
bundle="$root/dist/cunet-studio"
echo "built $bundle ($(du -sh "$bundle" | cut -f1), $(find "$bundle" -type f | wc -l) files) in $((SECONDS - started)) s"
echo "check it: $bundle/cunet-studio --self-test && $bundle/engine info"
