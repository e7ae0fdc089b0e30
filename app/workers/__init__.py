"""Background work: one `Job` per engine call, run on a pool thread, talking back by signals."""
