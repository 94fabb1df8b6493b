"""A pool exactnet makes leaves nothing behind when its creator is stopped by SIGTERM or SIGKILL.

Found by a fresh-clone trial: ``exactnet count-many ... --jobs 2`` ended by SIGTERM (``timeout``,
Slurm) or SIGKILL left the fork server, both workers and the resource tracker running, idle,
holding the caller's standard output open (``... 2>&1 | tail`` hung for good).  Each test runs
the command (or a script) in a session of its own, waits until its pool's workers exist, sends
the signal to the creator only, and then looks at every process of that session in /proc:
none may be left a few seconds later.  Linux only (/proc, pidfd, prctl).
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from exact import save_json
from exact.cli import main
from exact.cli_signals import EXIT_TERMINATED
from exact.worker_lifeline import die_with

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only (/proc, pidfd, prctl)")

SETTLE = 5.0
"""Seconds the session's processes get to end after the creator is stopped."""


def _session(sid: int) -> list[int]:
    """Ids of the live (not zombie) processes of session ``sid``, read from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(name))
    return found


def _wait_for_workers(proc: subprocess.Popen, at_least: int = 5, output: "os.PathLike | None" = None
                      ) -> list[int]:
    """Wait until the session holds the creator, the resource tracker, the fork server and two workers.

    Then wait until the workers have started: ``output`` (a results file) has a line, or one
    second more.  A signal while a worker is still starting makes that worker print a CPython
    traceback (its semaphores are gone with its creator), which these tests do not look at.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _session(proc.pid)
        if len(found) >= at_least:
            while output is not None and time.monotonic() < deadline and proc.poll() is None:
                if os.path.exists(output) and open(output).read().count("\n") >= 2:
                    return _session(proc.pid)
                time.sleep(0.05)
            time.sleep(1.0)
            return _session(proc.pid)
        assert proc.poll() is None, f"ended before its workers started: {proc.returncode}"
        time.sleep(0.05)
    raise AssertionError(f"no pool after 30 s: {_session(proc.pid)}")


def _left_after(proc: subprocess.Popen) -> list[int]:
    """Processes of the creator's session still alive after :data:`SETTLE` seconds (killed, then)."""
    deadline = time.monotonic() + SETTLE
    left = _session(proc.pid)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _session(proc.pid)
    for pid in left:  # leave nothing running whatever the outcome
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture(scope="module")
def many_specs(tmp_path_factory):
    """30 random 2-64-64-64-1 nets (about 0.2 s each to count): seconds of work for two workers."""
    rng = np.random.default_rng(0)
    widths = [2, 64, 64, 64, 1]
    folder = tmp_path_factory.mktemp("cleanup")
    paths = []
    for k in range(30):
        layers = [(rng.normal(size=(b, a)).tolist(), rng.normal(size=b).tolist()) for a, b in zip(widths, widths[1:])]
        save_json(layers, folder / f"n{k:02d}.json")
        paths.append(str(folder / f"n{k:02d}.json"))
    return paths


def _count_many_cli(files, tmp_path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "exact", "count-many", *files, "--jobs", "2", "-q",
           "--jsonl", str(tmp_path / "out.jsonl")]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)


def test_sigterm_to_count_many_jobs_ends_every_process(many_specs, tmp_path):
    proc = _count_many_cli(many_specs, tmp_path)
    _wait_for_workers(proc, output=tmp_path / "out.jsonl")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)  # returns only once no process holds the pipes
    assert proc.returncode == EXIT_TERMINATED == 143
    assert err.strip().splitlines()[-1] == "exactnet count-many: terminated"
    assert "Traceback" not in err
    assert _left_after(proc) == []


def test_sigkill_to_count_many_jobs_ends_every_process(many_specs, tmp_path):
    proc = _count_many_cli(many_specs, tmp_path)
    _wait_for_workers(proc, output=tmp_path / "out.jsonl")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert _left_after(proc) == []
    proc.communicate(timeout=10)  # the pipes close: no worker holds them


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_api_pool_ends_with_its_script(many_specs, tmp_path, sig):
    """count_many(jobs=2) in a script: no handler is installed, the signal's default action ends it."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import exact
        if __name__ == "__main__":
            exact.count_many({many_specs!r}, jobs=2)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, cwd=tmp_path)
    _wait_for_workers(proc)
    proc.send_signal(sig)
    assert proc.wait(timeout=10) == -sig
    assert _left_after(proc) == []


def test_tiles_jobs_sigterm_ends_every_process(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "exact", "count", "2-128-128-128-128-128-128-1", "--tiles", "8",
                             "--jobs", "2", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)
    _wait_for_workers(proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "exactnet count: terminated"
    assert _left_after(proc) == []


def test_cli_main_restores_the_sigterm_handler(capsys):
    def mine(signum, frame):  # pragma: no cover - never called
        pass

    before = signal.signal(signal.SIGTERM, mine)
    try:
        assert main(["count", "2-3-1", "--json"]) == 0
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)
    assert signal.getsignal(signal.SIGTERM) is before


def test_importing_exact_installs_no_sigterm_handler():
    code = "import signal, exact, exact.cli; print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_worker_whose_creator_is_gone_ends_at_once():
    """The race: the pool's creator died before the worker asked to be told."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    code = (f"from exact.worker_lifeline import die_with; die_with({gone.pid}); print('still here')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert run.returncode == 143
    assert "still here" not in run.stdout


def _worker_under_parent(creator: int) -> tuple[subprocess.Popen, int]:
    """Start a parent (in a session of its own) whose child calls ``die_with(creator)``; return both."""
    code = textwrap.dedent(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
            "import time; from exact.worker_lifeline import die_with; "
            "print(die_with({creator}), flush=True); time.sleep(60)"], stdout=sys.stdout)
        print(child.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    worker = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "True"
    return parent, worker


def _ends(pid: int) -> bool:
    """Whether process ``pid`` is gone (or a zombie) within :data:`SETTLE` seconds."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_worker_ends_when_its_creator_ends_while_its_parent_lives():
    """As a pool worker whose parent, the fork server, outlives the killed creator for a while."""
    creator = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    parent, worker = _worker_under_parent(creator.pid)
    creator.kill()
    creator.wait()
    try:
        assert _ends(worker)
        assert parent.poll() is None  # the parent did not end: the worker watched the creator
    finally:
        _left_after(parent)


def test_worker_ends_when_its_parent_ends():
    """The parent-death signal (prctl): the worker's parent killed, its creator (this process) alive."""
    parent, worker = _worker_under_parent(os.getpid())
    parent.kill()
    parent.wait()
    assert _ends(worker)
    assert _left_after(parent) == []


def test_die_with_itself_does_nothing():
    assert die_with(os.getpid()) is False


def test_terminate_workers_does_not_wait_for_running_jobs():
    from concurrent.futures import BrokenExecutor

    from exact.pool_ending import terminate_workers
    from exact.worker_threads import process_pool

    pool = process_pool(2)
    assert pool.submit(abs, -1).result() == 1
    slow = pool.submit(time.sleep, 20)
    time.sleep(0.3)  # running in a worker
    workers = list(pool._processes)
    start = time.monotonic()
    terminate_workers(pool)
    assert time.monotonic() - start < 5
    assert not any(os.path.exists(f"/proc/{pid}") and _ends(pid) is False for pid in workers)
    with pytest.raises(BrokenExecutor):
        slow.result(timeout=1)
