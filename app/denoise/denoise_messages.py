"""What the Denoise page says about a result, about a save and before there is anything to compare, in
words (pure Python, no Qt)."""

from __future__ import annotations

from pathlib import Path

from app.denoise.denoise_queue import QueueItem

TOOLTIP_PATHS = 12  # a save of a whole folder lists this many paths in its tooltip, then a count
UNSAVED_TITLE = "Denoised photos not saved"
EMPTY_TEXT = "Drop photos here or use Open… — the result appears here, before | after."


def result_text(item: QueueItem) -> str:
    """The selected photo's result as rich text: noise level, how it was denoised, notes."""
    result = item.outcome.result
    how = "estimated" if result.sigma_estimated is not None else "set by you"
    copies = f" · {result.ensemble} copies averaged" if result.ensemble > 1 else ""
    lines = [
        f"<b>{item.path.name}</b>: noise σ {result.sigma:.1f} ({how}) · start step {result.start_step} · "
        f"{result.steps_taken} step(s) · {result.tiles} tile(s) of {result.tile_size} px{copies}",
    ]
    if item.saved_to:
        lines.append(f"Saved as {item.saved_to}")
    lines.extend(f"Note: {note}" for note in result.notes)
    return "<br>".join(lines)


def saved_summary(paths: list[Path]) -> str:
    """What a save wrote, short enough for one line: a name, or a count and where."""
    if not paths:
        return "nothing"
    if len(paths) == 1:
        return paths[0].name
    if len({path.parent for path in paths}) == 1:
        return f"{len(paths)} photos in {paths[0].parent.name or paths[0].parent}"
    return f"{len(paths)} photos, each beside its original"


def saved_paths_text(paths: list[Path]) -> str:
    """The full paths a save wrote, one a line (for a tooltip)."""
    lines = [str(path) for path in paths[:TOOLTIP_PATHS]]
    if len(paths) > TOOLTIP_PATHS:
        lines.append(f"and {len(paths) - TOOLTIP_PATHS} more")
    return "\n".join(lines)


def unsaved_warning(count: int, action: str) -> str:
    """The question asked before `action` (e.g. "closing") throws away results not saved anywhere:
    how many, and that the originals are safe (so the user is not afraid to say yes)."""
    many = count > 1
    return (f"{count} denoised photo{'s are' if many else ' is'} not saved; {action} loses "
            f"{'them' if many else 'it'} (the original{'s are' if many else ' is'} untouched).")


def save_failure_text(saved: list[Path], failed: list[tuple[QueueItem, str]]) -> str:
    """One line for a save where some photos could not be written: which, why, what to do."""
    item, reason = failed[0]
    others = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return (f"Saved {saved_summary(saved)}; could not save {item.path.name}{others}: {reason}. "
            "Save all tries the unsaved ones again.")
