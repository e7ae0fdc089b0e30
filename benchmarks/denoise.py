"""Photo-denoising quality benchmark (docs/benchmarks.md, "Photo denoising"): a thin entry to
`engine bench denoise`, with the same arguments.

    OMP_NUM_THREADS=1 python benchmarks/denoise.py --methods noisy,nlm,wavelet,tv,bm3d --crop 512 \\
        --threads 1 --json benchmarks/results/denoise-classical.json \\
        --markdown benchmarks/results/denoise-classical.md

measures the classical baselines (needs `pip install -e .[bench]`);

    OMP_NUM_THREADS=1 python benchmarks/denoise.py --methods model,model-auto --crop 512 --threads 1 \\
        --merge benchmarks/results/denoise-classical.json --json benchmarks/results/denoise.json \\
        --markdown benchmarks/results/denoise.md

measures the photo-denoiser on the same noise and writes one table with every method. Add
`--inputs gaussian-8bit,gaussian-jpeg,camera-png,camera-jpeg` to measure on noise as users' files
hold it (one table per input kind; docs/benchmarks.md, "Noise as users meet it").
"""

from __future__ import annotations

import sys

from engine.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", "denoise", *sys.argv[1:]]))
