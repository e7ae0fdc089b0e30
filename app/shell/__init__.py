"""The window around the pages: tabs, menus, status bar, settings dialog, and what the app does
before and around it (start-up checks, icon and splash, desktop entry, files opened with it)."""
