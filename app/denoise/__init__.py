"""The Denoise page: its widgets, its photo queue and view model (no Qt) and its work functions."""
