"""What the Train page decides and says, without Qt: the run's state (idle, running, pausing,
paused, stopping) and what can be pressed in each, whether dropped files can become the training
images, the run a Start makes, opening an earlier run folder, what each training event logs, when
to ask a slow run for an extra sample grid, and what the end of a run says. `TrainPage` shows the
answers and forwards what the user did; tests drive this class without a window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.train.preview_schedule import PreviewSchedule
from app.train.training_work import SampleGrid, read_sample_grid
from engine.paths import user_data_dir
from engine.training import (
    RunFolder,
    TrainingConfig,
    TrainingControl,
    TrainingProgress,
    TrainingSummary,
    resume_refusal,
)

IDLE, RUNNING, PAUSING, PAUSED, STOPPING = "idle", "running", "pausing", "paused", "stopping"
STATE_TEXTS = {PAUSING: "Pausing: saving a checkpoint…", PAUSED: "Paused (checkpoint saved)",
               STOPPING: "Stopping: saving a checkpoint…"}
NO_DATA = "Choose the training images first: a folder of images or a .npz file."
OPENING_DATA = "Opening the training images…"
FAILED = "Failed"
NOT_ADDED = "The model was not added. Use “Add to models…” to add it later."


@dataclass(frozen=True)
class Controls:
    inputs: bool  # the data and run-folder rows and the training form
    start: bool
    start_text: str
    new_run: bool
    pause: bool
    resume: bool
    stop: bool
    add_model: bool
    status: str | None  # the progress bar's line for this state; None: leave it


@dataclass(frozen=True)
class PlannedRun:
    """What a Start trains on and where it writes, before the form's settings make it a TrainingConfig
    (`TrainViewModel.config`)."""

    data: str
    out: str
    card: dict[str, Any]
    resume: bool


@dataclass(frozen=True)
class OpenedRun:
    config: TrainingConfig
    log: list[dict]  # the run's log records (step, loss, some with val_loss)
    reached: int  # the last step it logged
    grid: SampleGrid | None  # its latest sample grid, if it has a readable one
    note: str | None  # why its latest grid cannot be shown
    message: str


@dataclass(frozen=True)
class RunEnd:
    """What the page shows when a training job returns with a summary, in this order."""

    clear_run_path: bool  # a finished run: the next Start makes a new folder instead of refusing this one
    log: str | None
    status: str
    banner: str | None
    add_model: bool  # offer to add the model to the model list


class TrainingRefused(Exception):
    """A Start that cannot go ahead; the message says what to do."""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def default_run_name(data: str) -> str:
    """"shapes-20240611-141502": the data's name and when."""
    return f"{Path(data.strip() or 'run').stem or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}"


def default_runs_folder() -> Path:
    """Where a Start puts a new run when no run folder is given."""
    return user_data_dir() / "runs"


def runs_folder(last_used: Path | None) -> Path | None:
    """Where run-folder dialogs open: the last place used, else the app's own runs folder."""
    default = default_runs_folder()
    return last_used or (default if default.is_dir() else None)


def model_name_hint(data: str) -> str:
    """The name first offered for a trained model: its data's."""
    return Path(data).stem or "my-model"


class TrainViewModel:
    def __init__(self) -> None:
        self.state = IDLE
        self.resume_dir: Path | None = None  # the run a Start continues
        self.model_dir: Path | None = None  # a trained model not added to the model list yet
        self.control: TrainingControl | None = None  # the running job's pause / continue / stop
        self.previews = PreviewSchedule()
        self._started_at = 0.0

    def controls(self) -> Controls:
        idle = self.state == IDLE
        return Controls(
            inputs=idle, start=idle, start_text="Continue run" if idle and self.resume_dir else "Start",
            new_run=idle and self.resume_dir is not None, pause=self.state == RUNNING, resume=self.state == PAUSED,
            stop=self.state in (RUNNING, PAUSING, PAUSED), add_model=idle and self.model_dir is not None,
            status=STATE_TEXTS.get(self.state),
        )

    def take_dropped_data(self, path: Path) -> tuple[bool, str]:
        """(whether `path` becomes the training images, what the banner says)."""
        if self.state != IDLE:
            return False, "The training images cannot change while a run is going: stop it first."
        if self.resume_dir is not None:
            return False, f"{self.resume_dir.name} trains on its own images: press New run to train on {path.name}."
        if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".npz")):
            return False, f"{path.name} is not a folder or a .npz file: drop the folder of images to train on."
        return True, f"Training images: {path}. Press Start to train on them."

    # --- a run --------------------------------------------------------------------------------

    def plan(self, data: str, run_folder: str) -> PlannedRun:
        """The run a Start makes from the data and run-folder boxes (a new folder among the user's
        runs when none is given); raises TrainingRefused without data."""
        data = data.strip()
        if not data:
            raise TrainingRefused(NO_DATA)
        out = run_folder.strip() or str(default_runs_folder() / default_run_name(data))
        card = {"display_name": Path(data).stem, "description": f"Trained in cUNet Studio on {Path(data).name}",
                "dataset": Path(data).name}
        return PlannedRun(data, out, card, resume=self.resume_dir is not None)

    def config(self, run: PlannedRun, settings: dict[str, Any], device: str) -> TrainingConfig:
        """The settings a Start trains with: a new run's from the form's `settings` (TrainingConfig
        fields) and the engine's defaults; a continued run's stored ones with the form's changes.
        Raises TrainingRefused with the engine's reason, as `engine train --resume` gives it, for a
        change a resume does not allow, and ConfigError for impossible values."""
        if not run.resume:
            return TrainingConfig(data=run.data, out=run.out, device=device, card=run.card, **settings)
        stored = TrainingConfig.load(self.resume_dir)
        wanted = stored.with_changes(data=run.data, out=run.out, device=device, **settings)
        refusal = resume_refusal(stored, wanted)
        if refusal is not None:
            raise TrainingRefused(refusal)
        return wanted

    def started(self, now: float) -> TrainingControl:
        """The training job has started; returns the control it obeys."""
        self.model_dir = None
        self.control = TrainingControl()
        self._started_at = now
        self.state = RUNNING
        return self.control

    def pause(self) -> bool:
        if self.state != RUNNING:
            return False
        self.control.request_pause()
        self.state = PAUSING
        return True

    def resume(self) -> bool:
        if self.state != PAUSED:
            return False
        self.control.request_resume()
        self.state = RUNNING
        return True

    def stop(self) -> bool:
        """Ask the run to save a checkpoint and the model, then return (also when paused)."""
        if self.state not in (RUNNING, PAUSING, PAUSED):
            return False
        self.control.request_stop()
        self.state = STOPPING
        return True

    # --- what the run reports -----------------------------------------------------------------

    def is_training(self) -> bool:
        return self.state != IDLE

    def steps_arrived(self) -> bool:
        """A batch of steps came: ask for a sample grid if none has come for a while. True when
        the progress line says the step (pausing or stopping, it says that instead)."""
        running = self.state == RUNNING
        if running and self.previews.take_due():
            self.control.request_samples()
        return running

    def grid_arrived(self) -> None:
        self.previews.grid_shown()

    def event_arrived(self, event: TrainingProgress) -> str | None:
        """The line the event log gets for a training event, if any; a pause being waited for
        becomes paused."""
        if event.event in ("started", "resumed"):
            self.previews.start()  # time spent paused or opening the data is not training
        if event.event == "started":
            return f"Started at step {event.step} of {event.total_steps}: {event.message}"
        if event.event == "checkpoint":
            return f"Step {event.step}: checkpoint saved ({event.message})"
        if event.event == "paused":
            if self.state == PAUSING:
                self.state = PAUSED
            return f"Paused at step {event.step}; checkpoint saved"
        if event.event == "resumed":
            return f"Continued at step {event.step}"
        if event.event in ("finished", "stopped"):
            return f"{event.event.capitalize()} at step {event.step}"
        return None

    def ended(self, summary: TrainingSummary, now: float) -> RunEnd:
        """A stopped run stays on the page to be continued; a finished one offers its model."""
        self.model_dir = summary.model_dir
        if not summary.began:  # stopped while the images were opened: a run being continued stays continuable
            return RunEnd(False, None, "Stopped before the first step: nothing was written", None, False)
        if summary.stopped:  # Start continues it; "New run" starts afresh
            self.resume_dir = summary.run_dir
            return RunEnd(False, None, f"Stopped at step {summary.step}/{summary.total_steps} (checkpoint saved)",
                          f"Stopped at step {summary.step}. “Continue run” goes on from here (now or in a later "
                          "session, with “Continue a run…”); you can also add the model so far to your models.",
                          False)
        self.resume_dir = None
        return RunEnd(True, f"Run folder: {summary.run_dir}",
                      f"Finished: {summary.step} steps in {duration(now - self._started_at)}", None, True)

    def job_finished(self) -> bool:
        """The training job returned (finished, stopped or failed); True where the page stays on a
        run to continue (a stop, or a failed attempt to continue one)."""
        self.control = None
        self.state = IDLE
        return self.resume_dir is not None

    # --- earlier runs and the trained model ---------------------------------------------------

    def open_run(self, folder: Path) -> OpenedRun:
        """A run folder's settings, loss history and latest samples, ready to continue; raises
        EngineError where it is not a run folder or its settings cannot be read."""
        config = TrainingConfig.load(folder)
        run = RunFolder(folder)
        log = run.read_log()
        reached = log[-1]["step"] if log else 0
        grid, note = None, None
        latest = run.latest_sample_grid()
        if latest is not None:
            try:
                grid = read_sample_grid(latest[1], latest[0])
            except (OSError, ValueError) as error:  # a damaged picture must not stop the run from opening
                note = f"The latest sample grid, {latest[1].name}, cannot be shown: {error}"
        self.resume_dir = folder
        self.state = IDLE
        return OpenedRun(config, log, reached, grid, note,
                         f"Opened {folder.name} at step {reached}. Press Start to continue it.")

    def new_run(self) -> None:
        """Forget the run opened or stopped: the next Start sets up a new one."""
        self.resume_dir = None
        self.state = IDLE

    def model_added(self, name: str) -> str:
        self.model_dir = None
        return f"Added “{name}” to your models: pick it on the Generate or Denoise page."
