"""engine.units: byte counts as people read them (status bar, free-space errors)."""

from engine.units import format_bytes


def test_format_bytes_picks_a_readable_unit():
    assert [format_bytes(n) for n in (0, 1, 1024, 1025, 380 * 2**20, 5 * 2**29)] == [
        "0 KB", "1 KB", "1 KB", "2 KB", "380 MB", "2.50 GB"]
