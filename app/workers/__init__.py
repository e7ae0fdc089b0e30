"""Running heavy work off the GUI thread: one `Job` per engine call on a pool thread, talking back
by signals, and the pieces the pages' work functions share (throttling, a loaded-model cache)."""
