"""cUNet Studio desktop GUI (PySide6).

The engine does the work; this package only presents it and forwards the user's choices. Heavy
calls (model loading, sampling, denoising, training, file export) run in `app.workers` jobs on
pool threads and report back through Qt signals, so the window never freezes.
"""
