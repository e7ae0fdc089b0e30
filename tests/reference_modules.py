"""Load one module of a test-only reference package (tests/reference-packages.txt, installed
without its dependencies) with the imports it never needs for what we compare stubbed.

Reference packages import a lot at the top (trainers, FID code, torchvision) that the one class or
function a test compares with never uses, and their `__init__` imports every module. So the module
is loaded without running the package's `__init__`, its unused imports are stubbed while it loads,
and afterwards sys.modules holds nothing of it or of the stubs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings

import pytest


def load_reference_module(package: str, module: str, unused_imports: dict[str, tuple[str, ...]]) -> types.ModuleType:
    """`package.module`, with each module in `unused_imports` replaced by a stub holding None for
    the names listed (a name may be a submodule: `from scipy import integrate`)."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        pytest.fail(f"{package} is not installed: run scripts/ensure-venv.sh, or "
                    "pip install --no-deps -r tests/reference-packages.txt")
    stub_package = types.ModuleType(package)
    stub_package.__path__ = list(spec.submodule_search_locations)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, package, stub_package)
        for module_name, names in unused_imports.items():
            stub = types.ModuleType(module_name)
            for name in names:
                setattr(stub, name, None)
            patch.setitem(sys.modules, module_name, stub)
        with warnings.catch_warnings():  # reference code's own deprecation warnings are not ours to fix
            warnings.simplefilter("ignore", FutureWarning)
            loaded = importlib.import_module(f"{package}.{module}")
    for name in [n for n in sys.modules if n.startswith(f"{package}.")]:
        del sys.modules[name]
    return loaded
