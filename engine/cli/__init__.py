"""The headless `engine` command line."""
