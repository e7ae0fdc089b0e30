"""What every page uses and no page owns: preferences, dialogs, the model catalog and what its
cards say, keyboard shortcuts, file drops, and numpy-to-Qt image conversion."""
