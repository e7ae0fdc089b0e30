"""One module per main-window page: Generate, Denoise, Train."""
