"""cUNet Studio engine: continuous U-Net diffusion models, samplers, training and denoising.

The engine is a plain library (no Qt): the desktop app and the `engine` CLI both drive it through
the public functions re-exported by its sub-packages.
"""

__version__ = "0.1.0"
