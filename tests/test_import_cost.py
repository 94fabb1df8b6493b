"""What a fresh process pays before its first answer: ``import exact``, the command line, pool workers.

``import exact`` loads the public names on first use (PEP 562), so it imports only the
error family; the ``exactnet`` parser imports neither the counting engine nor the
many-nets runner; a :func:`exact.worker_threads.process_pool` has its fork server import
the counting modules once, so that every worker it forks starts with them.  Each check
runs in a fresh interpreter (this one has imported everything already).
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import exact

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "exact._api", "exact._certified", "exact.cells", "exact.nd", "exact.loading",
         "exact.many_nets", "exact.html_view", "torch", "sympy", "matplotlib")
"""Modules that ``import exact`` used to import (or never needed) and no longer does."""


def fresh(code: str, *, script: Path | None = None) -> str:
    """Run ``code`` (or ``script``) in a fresh interpreter with the package on its path; return stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    args = [sys.executable, str(script)] if script else [sys.executable, "-c", code]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def loaded_after(statement: str, names=HEAVY) -> list[str]:
    """The modules of ``names`` that a fresh interpreter holds after ``statement``."""
    return fresh(f"import sys\n{statement}\nprint(' '.join(n for n in {names!r} if n in sys.modules))").split()


def test_import_exact_imports_only_the_error_family():
    assert loaded_after("import exact") == []
    assert loaded_after("import exact; exact.InputError; exact.__version__") == []


def test_a_public_name_imports_its_module_and_no_more():
    assert loaded_after("import exact; exact.arrangement_faces") == ["numpy"]  # line_count, not the engines
    assert "exact._api" in loaded_after("from exact import count_regions")
    assert "sympy" not in loaded_after("import exact; exact.count_regions")


def test_every_public_name_resolves_in_a_fresh_process():
    out = fresh("import exact\n"
                "missing = [n for n in exact.__all__ if getattr(exact, n, None) is None]\n"
                "ns = {}\nexec('from exact import *', ns)\n"
                "print(missing, sorted(set(exact.__all__) - set(ns)), set(exact.__all__) <= set(dir(exact)))")
    assert out == "[] [] True"


def test_a_name_is_the_object_of_its_module():
    from exact import _api, many_nets, validation

    assert exact.regions is _api.regions and exact.count_many is many_nets.count_many
    assert exact.DEFAULT_WINDOW == validation.DEFAULT_WINDOW == 10


def test_submodules_are_attributes_and_unknown_names_still_fail():
    out = fresh("import exact\nprint(exact.nd.__name__, exact.errors.__name__, exact.worker_threads.__name__)")
    assert out == "exact.nd exact.errors exact.worker_threads"
    with pytest.raises(AttributeError, match="module 'exact' has no attribute 'no_such_name'"):
        exact.no_such_name  # noqa: B018
    assert not hasattr(exact, "__wrapped__")


def test_the_type_checking_imports_match_the_run_time_table():
    tree = ast.parse((ROOT / "exact" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    static = {a.name: node.module for node in block.body for a in node.names}
    assert static == exact._LAZY
    eager = {a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "errors" for a in n.names}
    assert set(exact.__all__) == set(static) | eager


def test_the_command_line_imports_what_its_command_needs():
    assert loaded_after("import exact.cli", ("exact._api", "exact.many_nets", "exact.html_view", "sympy",
                                            "torch", "matplotlib")) == []
    assert loaded_after("import exact.cli, contextlib, io\n"
                        "with contextlib.redirect_stdout(io.StringIO()):\n"
                        "    exact.cli.main(['count-many', 'no/such.json', '-q'])",
                        ("exact.many_nets",)) == ["exact.many_nets"]


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_process_pool_has_the_fork_server_import_the_counting_modules(tmp_path):
    # a plain forkserver worker started after process_pool: it runs no initializer, so the
    # counting modules it holds came from the fork server; without process_pool first, none
    script = tmp_path / "pool_script.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing, sys
        from concurrent.futures import ProcessPoolExecutor

        def loaded():
            return [m for m in ("exact.many_nets", "exact.tiled_counts", "numpy.random", "torch") if m in sys.modules]

        if __name__ == "__main__":
            if sys.argv[1:] == ["ours"]:
                from exact.worker_threads import process_pool
                with process_pool(1) as pool:
                    pool.submit(abs, -1).result()
            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(1, mp_context=ctx) as plain:
                print(*plain.submit(loaded).result())
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    runs = [subprocess.run([sys.executable, str(script), *extra], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120) for extra in (["ours"], [])]
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    assert [r.stdout.split() for r in runs] == [["exact.many_nets", "exact.tiled_counts", "numpy.random"], []]


def test_process_pool_keeps_the_preloads_already_asked_for(monkeypatch):
    from multiprocessing import forkserver

    from exact import worker_threads

    asked = []
    server = forkserver.ForkServer()
    server._preload_modules = ["__main__", "my_module"]
    monkeypatch.setattr(forkserver, "_forkserver", server)
    monkeypatch.setattr(type(multiprocessing.get_context("forkserver")), "set_forkserver_preload",
                        lambda self, names: asked.append(names))
    worker_threads._preload_counting(multiprocessing.get_context("forkserver"))
    assert asked == [["__main__", "my_module", *worker_threads.COUNTING_MODULES]]
    server._preload_modules = ["__main__", *worker_threads.COUNTING_MODULES]
    worker_threads._preload_counting(multiprocessing.get_context("forkserver"))
    assert len(asked) == 1   # already there: nothing asked again
