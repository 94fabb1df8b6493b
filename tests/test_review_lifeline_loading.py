"""Review of commit f6936f7: pool workers that end with their creator, SIGTERM in the CLI,
safetensors read by their shapes' one chain, and training checkpoints read from their one
state_dict entry.

Every net read here is compared with the net built independently from the same tensors in
layer order (:func:`exact.as_exact_net` of a dict in that order), so a wrong order or a
dropped activation cannot pass.  Cases marked ``xfail(strict=True)`` are bugs found in the
review: each flips to a failure (XPASS) once fixed, and its mark is then to be removed.
The process tests are Linux only (/proc, pidfd, prctl) and take about a second each.
"""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import torch
from test_formats import write_safetensors

import exact
from exact.cli import main
from exact.errors import SpecFileError
from exact.loading import load_spec

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only (/proc, pidfd, prctl)")


def _layer(out, inp, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(out, inp, dtype=torch.float64, generator=g),
            torch.randn(out, dtype=torch.float64, generator=g))


def _state(layers):
    """A state_dict whose key order is the layers' order."""
    sd = {}
    for name, (W, b) in layers:
        sd[name + ".weight"], sd[name + ".bias"] = W, b
    return sd


# --- (B) training checkpoints --------------------------------------------------------------------

SD = _state([("0", _layer(3, 2, 0)), ("2", _layer(1, 3, 1))])
OPTIMIZER = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(3, 2)}},
             "param_groups": [{"lr": 0.1, "params": [0, 1, 2, 3]}]}


def test_checkpoint_is_read_from_its_model_entry_next_to_an_optimizer(tmp_path):
    torch.save({"epoch": 3, "model_state_dict": SD, "optimizer_state_dict": OPTIMIZER}, tmp_path / "c.pt")
    assert load_spec(tmp_path / "c.pt") == exact.as_exact_net(SD)


def test_checkpoint_entry_keeps_its_own_architecture_entries(tmp_path):
    torch.save({"epoch": 3, "model_state_dict": {**SD, "activation": "abs"}}, tmp_path / "c.pt")
    assert load_spec(tmp_path / "c.pt") == exact.as_exact_net(SD, activation="abs")


@pytest.mark.parametrize("checkpoint", [
    {"model": SD, "ema": SD},                                      # two nets
    {"state_dict": SD, "extra": {"w": torch.ones(2)}},             # a second dict of tensors
    {"model": SD, "buffers": {"running_mean": torch.zeros(3)}},
], ids=["model+ema", "state_dict+extra", "model+buffers"])
def test_checkpoint_with_several_tensor_dicts_is_refused_naming_them(tmp_path, checkpoint):
    torch.save(checkpoint, tmp_path / "c.pt")
    with pytest.raises(SpecFileError, match="several state_dicts") as info:
        load_spec(tmp_path / "c.pt")
    assert all(repr(k) in str(info.value) for k in checkpoint)


def test_checkpoint_holding_only_an_optimizer_is_refused(tmp_path):
    """An optimizer's state (a dict of dicts) is never taken for the net."""
    torch.save({"epoch": 1, "optimizer_state_dict": OPTIMIZER}, tmp_path / "c.pt")
    with pytest.raises(SpecFileError, match="c.pt': entry 'epoch' is an int, not a tensor"):
        load_spec(tmp_path / "c.pt")  # the checkpoint itself was read: not its optimizer entry


def test_checkpoint_top_level_activation_is_not_dropped(tmp_path):
    torch.save({"epoch": 3, "model_state_dict": SD, "activation": "abs"}, tmp_path / "c.pt")
    try:
        net = load_spec(tmp_path / "c.pt")
    except SpecFileError:
        return  # a refusal is as good as reading it right
    assert net == exact.as_exact_net(SD, activation="abs")


def test_checkpoint_top_level_widths_are_checked(tmp_path):
    torch.save({"model_state_dict": SD, "widths": [2, 5, 1]}, tmp_path / "c.pt")  # the net is 2-3-1
    with pytest.raises((SpecFileError, exact.InputError)):
        load_spec(tmp_path / "c.pt")


# --- (B) safetensors in the order of their shapes' one chain -------------------------------------

def test_unsorted_safetensors_reorders_activations_with_its_layers(tmp_path):
    """Names sort out_, mid, in; one chain; a per-layer activation list follows the real order."""
    real = [("z_in", _layer(4, 2, 2)), ("b_mid", _layer(3, 4, 3)), ("a_out", _layer(1, 3, 4))]
    p = write_safetensors(tmp_path / "n.safetensors", _state(real),
                          metadata={"activation": json.dumps(["abs", "relu"])})
    net = load_spec(p)
    assert net.widths == (2, 4, 3, 1)
    assert net == exact.as_exact_net(_state(real), activation=["abs", "relu"])
    assert net != exact.as_exact_net(_state(real), activation=["relu", "abs"])


def test_widths_metadata_picks_the_one_order_among_several_chains(tmp_path):
    """Shapes 2x2, 3x2, 2x3 chain in three orders; widths [2, 3, 2, 2] allow one of them."""
    L1, L2, L3 = _layer(2, 2, 5), _layer(3, 2, 6), _layer(2, 3, 7)
    tensors = _state([("c", L1), ("a", L3), ("b", L2)])   # natural order a, b, c does not chain
    with pytest.raises(SpecFileError, match="more than one order"):
        load_spec(write_safetensors(tmp_path / "n.safetensors", tensors))
    p = write_safetensors(tmp_path / "w.safetensors", tensors, metadata={"widths": "[2, 3, 2, 2]"})
    assert load_spec(p) == exact.as_exact_net(_state([("b", L2), ("a", L3), ("c", L1)]))


def test_equal_hidden_shapes_whose_names_do_not_chain_are_refused(tmp_path):
    real = [("z_in", _layer(4, 2, 8)), ("h1", _layer(4, 4, 9)), ("h2", _layer(4, 4, 10)),
            ("a_out", _layer(1, 4, 11))]
    with pytest.raises(SpecFileError, match="more than one order"):
        load_spec(write_safetensors(tmp_path / "n.safetensors", _state(real)))


def test_missing_biases_do_not_change_the_chain(tmp_path):
    real = [("z_in", _layer(4, 2, 12)), ("b_mid", _layer(3, 4, 13)), ("a_out", _layer(1, 3, 14))]
    weights = {k: v for k, v in _state(real).items() if k.endswith(".weight")}
    assert load_spec(write_safetensors(tmp_path / "n.safetensors", weights)) == exact.as_exact_net(weights)


def test_equal_hidden_shapes_whose_wrong_name_order_chains_are_not_misread(tmp_path):
    real = [("a_first", _layer(4, 2, 15)), ("c_second", _layer(4, 4, 16)), ("b_third", _layer(4, 4, 17)),
            ("d_out", _layer(1, 4, 18))]
    try:
        net = load_spec(write_safetensors(tmp_path / "n.safetensors", _state(real)))
    except SpecFileError:
        return  # refused: fine
    assert net == exact.as_exact_net(_state(real))


# --- (A) signals and threads ---------------------------------------------------------------------

def test_import_starts_no_thread_no_process_and_no_signal_handler():
    code = textwrap.dedent("""
        import os, signal, threading
        import exact, exact.cli, exact.many_nets, exact.worker_threads, exact.worker_lifeline
        children = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
        print(threading.active_count(), len(children),
              signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
              signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "0", "True", "True"]


def test_cli_main_in_a_thread_runs_and_leaves_the_handler_alone(capsys):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("rc", main(["count", "2-3-1", "--json"])))
    t.start()
    t.join(60)
    assert got == {"rc": 0}
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["linear_regions"] == 7
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_sigterm_stays_ignored_inside_the_cli():
    code = textwrap.dedent("""
        import signal
        from exact.cli_signals import terminate_as_interrupt
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with terminate_as_interrupt():
            print(signal.getsignal(signal.SIGTERM) is signal.SIG_IGN)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


# --- (A) workers: never ended while their creator lives; user executors untouched ----------------

def _worker_threads():
    """Run in a pool worker: its threads as (name, daemon)."""
    return sorted((t.name, t.daemon) for t in threading.enumerate())


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _gone_within(pids, seconds=5.0):
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


@linux
def test_pool_made_in_a_thread_outlives_the_thread_and_ends_with_its_shutdown():
    from exact.worker_threads import process_pool

    threads_before = set(threading.enumerate())
    box = {}

    def make():
        box["pool"] = pool = process_pool(2)
        box["first"] = sorted(pool.map(abs, [-1, -2, -3, -4]))

    t = threading.Thread(target=make)
    t.start()
    t.join(60)
    pool = box["pool"]
    assert box["first"] == [1, 2, 3, 4]
    workers = sorted(pool._processes)
    try:
        time.sleep(0.5)  # the thread that made the pool is gone, its process lives: so must the workers
        assert all(_alive(w) for w in workers)
        assert pool.submit(_worker_threads).result(timeout=30).count(("exactnet-lifeline", True)) == 1
        assert sorted(pool._processes) == workers  # the same workers: none ended and was replaced
    finally:
        pool.shutdown(wait=True)
    assert _gone_within(workers)
    assert set(threading.enumerate()) <= threads_before  # nothing left running in the creator


@linux
def test_count_many_jobs_twice_in_a_long_lived_process_leaves_nothing_behind():
    threads_before = set(threading.enumerate())
    nets = [[([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.5]), ([[1.0, -1.0]], [0.0])]] * 3
    serial = exact.count_many(nets)
    for _ in range(2):
        assert exact.count_many(nets, jobs=2) == serial
    assert set(threading.enumerate()) <= threads_before
    import multiprocessing
    assert multiprocessing.active_children() == []


def _nets(n):
    rng = np.random.default_rng(0)
    w = [2, 32, 32, 1]
    return [[(rng.normal(size=(b, a)), rng.normal(size=b)) for a, b in zip(w, w[1:])] for _ in range(n)]


@pytest.fixture
def own_pools(monkeypatch):
    """The pools :func:`exact.count_many` makes for itself, as it makes them."""
    import exact.many_nets as many
    from exact.worker_threads import process_pool

    made = []
    monkeypatch.setattr(many, "process_pool", lambda jobs: made.append(process_pool(jobs)) or made[-1])
    return made


@pytest.fixture
def interrupt_after_first_result(monkeypatch):
    """Ctrl-C (or SIGTERM in exactnet) while count_many waits for its second result."""
    import concurrent.futures as cf

    real = cf.as_completed

    def interrupted(fs, timeout=None):
        yield next(real(fs, timeout))
        raise KeyboardInterrupt

    monkeypatch.setattr(cf, "as_completed", interrupted)


@linux
def test_interrupting_count_many_leaves_a_users_executor_running(interrupt_after_first_result):
    from exact.many_nets import iter_count_many

    with ProcessPoolExecutor(2) as user:
        workers = sorted({user.submit(os.getpid).result() for _ in range(4)} | set(user._processes))
        with pytest.raises(KeyboardInterrupt):
            list(iter_count_many(_nets(8), executor=user))
        assert user.submit(abs, -2).result(timeout=30) == 2
        assert sorted(user._processes) == workers and all(_alive(w) for w in workers)


@linux
def test_an_interrupt_while_waiting_for_results_ends_the_own_workers(own_pools, interrupt_after_first_result):
    from exact.many_nets import iter_count_many

    it = iter_count_many(_nets(8), jobs=2)
    with pytest.raises(KeyboardInterrupt):
        next(it)
        workers = dict(own_pools[0]._processes)
        list(it)
    assert workers and _gone_within(workers)
    assert {p.exitcode for p in workers.values()} == {-15}  # ended by SIGTERM, not by a normal shutdown


@linux
def test_an_interrupt_between_two_results_ends_the_own_workers(own_pools):
    from exact.many_nets import iter_count_many

    it = iter_count_many(_nets(8), jobs=2)
    next(it)
    workers = dict(own_pools[0]._processes)
    with pytest.raises(KeyboardInterrupt):
        it.throw(KeyboardInterrupt)
    assert _gone_within(workers)
    assert {p.exitcode for p in workers.values()} == {-15}


@linux
def test_die_with_a_thread_id_watches_nothing_and_ends_nothing():
    """A creator id that is a thread's (not a process's) is not watched, and nothing is ended."""
    code = textwrap.dedent("""
        import threading, time
        from exact.worker_lifeline import die_with
        box, go = {}, threading.Event()
        t = threading.Thread(target=lambda: (box.setdefault("tid", threading.get_native_id()), go.wait()))
        t.start()
        while "tid" not in box:
            time.sleep(0.01)
        print(die_with(box["tid"]), flush=True)
        go.set(); t.join()   # that thread ends: nothing may happen to this process
        time.sleep(0.3)
        print("alive", flush=True)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "alive"]
