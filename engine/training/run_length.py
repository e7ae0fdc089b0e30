"""How long a training run is, in terms a user can judge before waiting for it: passes over the
training images, and a warning when there are so few images that a diffusion model will learn
to copy them rather than make new ones (the question users of training tools keep asking)."""

from __future__ import annotations

FEW_IMAGES = 1000


def describe_run_length(train_images: int, held_out: int, steps: int, batch_size: int) -> str:
    passes = steps * batch_size / train_images
    text = f"{steps:,} steps of {batch_size} = {passes:,.1f} passes over the {train_images:,} training images"
    if held_out:
        text += f" ({held_out:,} held out for the validation loss)"
    if train_images < FEW_IMAGES:
        text += (f". With fewer than {FEW_IMAGES:,} images a diffusion model mostly learns to reproduce them; "
                 "for new images give it thousands (the bundled models had 3,786 to 60,000)")
    return text
