"""The Generate page: its widgets, its view model (what tests drive without a window) and its work
functions."""
