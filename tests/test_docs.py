"""Every public function documents itself in numpydoc form, and ruff's D rules hold."""

import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import exact
import numeric

ROOT = Path(__file__).resolve().parent.parent


def public_functions():
    for pkg in (exact, numeric):
        for name in pkg.__all__:
            obj = getattr(pkg, name)
            if inspect.isfunction(obj):
                yield f"{pkg.__name__}.{name}", obj


def missing_sections(func) -> list[str]:
    doc = inspect.getdoc(func) or ""
    need = ["Returns", "Examples"]
    if any(p.name not in ("self", "cls") for p in inspect.signature(func).parameters.values()):
        need.insert(0, "Parameters")
    return [s for s in need if f"{s}\n{'-' * len(s)}" not in doc]


@pytest.mark.parametrize("name, func", list(public_functions()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_function_has_numpydoc_sections(name, func):
    assert missing_sections(func) == []


@pytest.mark.parametrize("pkg", [exact, numeric])
def test_public_classes_are_documented(pkg):
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if inspect.isclass(obj):
            assert len((inspect.getdoc(obj) or "").splitlines()) >= 1, name


def test_the_section_check_catches_a_bare_docstring():
    def bare(x):
        """Do something."""

    assert missing_sections(bare) == ["Parameters", "Returns", "Examples"]


def test_catalogue_names_every_public_name():
    doc = exact.__doc__
    undocumented = [n for n in exact.__all__ if f"`{n}`" not in doc and n not in ("ExactnetError",)]
    assert undocumented == []


@pytest.mark.skipif(shutil.which("ruff") is None and importlib.util.find_spec("ruff") is None,
                    reason="ruff not installed (pip install -e '.[test]')")
def test_ruff_passes_on_the_package():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "exact", "numeric", "tests", "examples", "benchmarks",
                          "exactnet.py"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
