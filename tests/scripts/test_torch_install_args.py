"""scripts/torch_install_args.py, which picks the torch build scripts/ensure-venv.sh installs:
the decision for each kind of machine, and what it reads from pyproject.toml and pip's
configuration. No network, no pip install."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "torch_install_args.py"


def load_script():
    spec = importlib.util.spec_from_file_location("torch_install_args", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass needs it
    spec.loader.exec_module(module)
    return module


script = load_script()
PIN = "torch==2.13.0"
CPU = [PIN, "--index-url", script.CPU_INDEX]


def machine(platform="linux", nvidia_gpu=False, pip_sources=(), installed_torch=None):
    return script.Machine(platform, nvidia_gpu, pip_sources, installed_torch)


@pytest.mark.parametrize(("choice", "case", "expected"), [
    ("auto", machine(), CPU),  # a plain Linux machine: never the multi-GB CUDA build
    ("auto", machine(nvidia_gpu=True), []),
    ("auto", machine(pip_sources=("find-links",)), []),  # this machine and CI: a local wheel folder
    ("auto", machine(pip_sources=("index-url",)), []),  # a mirror
    ("auto", machine("darwin"), []),
    ("auto", machine("win32"), []),
    ("auto", machine(installed_torch="2.13.0+cu128"), []),
    ("auto", machine(installed_torch="2.12.0"), CPU),  # an old torch is replaced by the pinned one
    ("cpu", machine(nvidia_gpu=True, pip_sources=("find-links",)), CPU),
    ("cpu", machine("win32"), CPU),
    ("cpu", machine(installed_torch="2.13.0"), []),
    ("cuda", machine(), []),
])
def test_the_decision(choice, case, expected):
    args, reason = script.torch_install_args(choice, PIN, case)
    assert args == expected and reason and "\n" not in reason


def test_an_unknown_choice_is_refused():
    with pytest.raises(ValueError, match="CUNET_TORCH must be one of auto, cpu, cuda, got 'gpu'"):
        script.torch_install_args("gpu", PIN, machine())


def test_the_pin_is_read_from_pyproject(tmp_path):
    assert re.fullmatch(r"torch==\d+\.\d+\.\d+", script.pinned_torch())  # the project's own pin
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["torchdiffeq>=0.2", "torch == 2.13.0"]\n')
    assert script.pinned_torch(tmp_path / "pyproject.toml") == PIN
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=2"]\n')
    with pytest.raises(ValueError, match="pins no torch version"):
        script.pinned_torch(tmp_path / "pyproject.toml")


def test_pip_sources_from_pip_config_and_the_environment():
    listing = ("global.cert='/etc/ssl/certs/ca-certificates.crt'\n"
               "global.extra-index-url='file:///opt/pypi/simple'\n"
               ":env:.find-links='/opt/wheels'\n"
               "global.constraint='/etc/xdg/pip/constraints.txt'\n")
    assert script.pip_sources(listing, {}) == ("extra-index-url", "find-links")
    assert script.pip_sources("", {"PIP_INDEX_URL": "https://mirror/simple", "PIP_NO_INDEX": ""}) == ("index-url",)
    assert script.pip_sources("global.timeout='60'\n", {"PATH": "/bin"}) == ()


def test_main_prints_one_argument_a_line_and_the_reason_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(script, "probe_machine", lambda: machine())
    monkeypatch.setenv("CUNET_TORCH", "auto")
    assert script.main() == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [script.pinned_torch(), "--index-url", script.CPU_INDEX]
    assert captured.err.startswith("torch: the CPU build")
    monkeypatch.setenv("CUNET_TORCH", "rocm")
    assert script.main() == 2 and capsys.readouterr().err.startswith("error: CUNET_TORCH must be one of")
