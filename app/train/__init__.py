"""The Train page: its widgets, its view model (what tests drive without a window) and its work
functions."""
