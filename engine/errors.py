"""Exception types the CLI and GUI turn into one readable line.

Every error a user can cause (a bad file, a wrong checkpoint, a cancelled job) is an `EngineError`
subclass whose message says what went wrong and what to do, so front ends never show tracebacks.
"""


class EngineError(Exception):
    """Base class for errors caused by input or environment, not by a bug."""


class ModelLoadError(EngineError):
    """A checkpoint or model folder is missing, malformed, or does not match its metadata."""


class ImageLoadError(EngineError):
    """An image file cannot be read (corrupt, truncated, unsupported format, too large)."""


class DatasetError(EngineError):
    """A training dataset is empty, unreadable or inconsistent."""


class ConfigError(EngineError):
    """A configuration value is out of range or names something that does not exist."""


class OutputFolderError(EngineError):
    """An output folder cannot take the results: not creatable, not writable, or too full."""


class Cancelled(EngineError):
    """The user cancelled a running job; partial results were discarded."""


class MissingDependencyError(EngineError):
    """An optional package (such as the benchmark extra) is needed for what was asked but is not installed."""
