"""The Generate page: its widgets, its view model (no Qt) and its work functions."""
