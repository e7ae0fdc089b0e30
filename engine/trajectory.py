"""Saving a recorded reverse process: an animation (x_t | x0-hat per step) and a contact sheet
whose rows are labelled with their step, both enlarged to a readable size (`engine.imaging`).

A run from an init picture (img2img, inpainting) starts part-way: both begin with the picture
itself, and the first step's label names the step it started from (t=599 rather than t=999)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.generate import GenerationResult
from engine.imaging import SAVED_MIN_WIDTH, grid, save_animation, save_png, to_pil, upscale_nearest, with_labels

SHEET_ROWS = 10
SHEET_IMAGES = 8


def trajectory_frame(x_t: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """One animation frame: the grid of x_t beside the grid of predicted clean images."""
    left, right = grid(x_t), grid(x0)
    gap = np.full((left.shape[0], 8, left.shape[2]), 255, np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def sheet_steps(steps: int) -> list[int]:
    """Indices of up to SHEET_ROWS evenly spaced steps out of `steps`, first and last included."""
    rows = min(SHEET_ROWS, steps)
    return sorted({round(i * (steps - 1) / max(1, rows - 1)) for i in range(rows)})


def frame_pairs(result: GenerationResult) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(x_t, x0-hat, label) of every recorded moment: the init picture (if any), each step, the
    result."""
    if len(result.trajectory_x_t) != len(result.timesteps):
        raise ValueError("the result holds no trajectory (generate with keep_trajectory=True)")
    steps = len(result.timesteps)
    pairs = []
    if result.init_image is not None:
        init = np.broadcast_to(result.init_image, result.images.shape)
        pairs.append((init, init, "init picture"))
    pairs += [(x_t, x0, f"step {s + 1}/{steps}  t={result.timesteps[s]}")
              for s, (x_t, x0) in enumerate(zip(result.trajectory_x_t, result.trajectory_x0))]
    pairs.append((result.images, result.images, "result"))
    return pairs


def contact_sheet(result: GenerationResult) -> np.ndarray:
    """Rows = the init picture (if any), evenly spaced steps, each labelled with its step and
    timestep, then the result; each row shows x_t then x0-hat for the first few images, under a
    heading for each half."""
    pairs = frame_pairs(result)
    start = 1 if result.init_image is not None else 0
    rows = [*pairs[:start], *(pairs[start + s] for s in sheet_steps(len(result.timesteps))), pairs[-1]]
    count = min(SHEET_IMAGES, result.images.shape[0])
    tiles = [tile for x_t, x0, _ in rows for tile in (*x_t[:count], *x0[:count])]
    sheet = upscale_nearest(grid(np.stack(tiles), columns=2 * count), min_width=SAVED_MIN_WIDTH)
    return with_labels(sheet, [label for _, _, label in rows], ["x_t (noisy)", "predicted x0"])


def trajectory_paths(folder: Path) -> list[Path]:
    """The files `save_trajectory` writes into `folder`: animated GIF, animated WebP, contact sheet."""
    return [folder / "trajectory.gif", folder / "trajectory.webp", folder / "trajectory-sheet.png"]


def save_trajectory(folder: Path, result: GenerationResult) -> list[Path]:
    frames = [to_pil(upscale_nearest(trajectory_frame(x_t, x0), min_width=SAVED_MIN_WIDTH))
              for x_t, x0, _ in frame_pairs(result)]
    paths = trajectory_paths(folder)
    save_animation(paths[0], frames)
    save_animation(paths[1], frames)
    save_png(paths[2], to_pil(contact_sheet(result)))
    return paths
