"""The Denoise page: its widgets, its photo queue and view model (what tests drive without a
window) and its work functions."""
