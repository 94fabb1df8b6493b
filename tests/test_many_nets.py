"""Counts of many nets (exact.many_nets, `exactnet count-many`) on every kind of executor.

Each executor (serial, an owned process pool, a given process pool, a dask LocalCluster of
two worker processes) must give exactly what `count_regions` gives net by net, in input
order; failures are reported per net; a dask worker killed mid-run costs nothing but time.
"""

import importlib.util
import json
import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

import exact
import numeric
from exact import many_nets
from exact.cli import main
from exact.errors import InputError, InputTypeError, SpecFileError, TooManyRegionsError
from exact.many_nets import NetFailure, count_many, iter_count_many

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="dask.distributed not installed (pip install -e '.[dask]')")

THREE_LINES = [([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, -1.0]), ([[1.0, 1.0, 1.0]], [0.0])]
ABS_X = [([[1.0, 0.0], [-1.0, 0.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])]
AFFINE = [([[1.0, 2.0]], [0.5])]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Nets of every kind count_many accepts, and their counts from count_regions one by one."""
    d = tmp_path_factory.mktemp("batch")
    exact.save_json(numeric.seeded_mlp([2, 32, 32, 1], seed=1), d / "a.json")
    m = numeric.seeded_mlp([2, 16, 1], seed=3)
    np.savez(d / "b.npz", W0=m[0].weight.detach().numpy(), b0=m[0].bias.detach().numpy(),
             W1=m[2].weight.detach().numpy(), b1=m[2].bias.detach().numpy())
    nets = [
        numeric.seeded_mlp([2, 48, 48, 48, 1], seed=0),                      # a torch module
        THREE_LINES,                                                          # (W, b) lists
        str(d / "a.json"),                                                    # spec paths
        exact.as_exact_net(numeric.seeded_mlp([2, 48, 48, 48, 1], seed=2)),   # an ExactNet
        d / "b.npz",
        numeric.seeded_mlp([2, 5, 5, 5, 5, 1], seed=4),
        ABS_X,
        exact.as_exact_net(numeric.seeded_mlp([2, 40, 40, 40, 1], seed=5)),
    ]
    ref = [exact.count_regions(n) for n in nets]
    # anchors derived by hand: three lines in general position, crossings inside the window: 3*4/2 + 1
    assert ref[1] == (7, 7) and ref[6] == (2, 2)
    return nets, ref


@pytest.fixture(scope="module")
def process_pool():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.fixture(scope="module")
def dask_cluster():
    if not HAS_DASK:
        pytest.skip("dask.distributed not installed (pip install -e '.[dask]')")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        yield cluster, client


KINDS = ["serial", "jobs=2", "process_pool", pytest.param("dask", marks=needs_dask)]


def _where(kind, request):
    """The keyword arguments that run count_many on one kind of executor."""
    if kind == "serial":
        return {}
    if kind == "jobs=2":
        return {"jobs": 2}
    if kind == "process_pool":
        return {"executor": request.getfixturevalue("process_pool")}
    return {"executor": request.getfixturevalue("dask_cluster")[1].get_executor()}


@pytest.mark.parametrize("kind", KINDS)
def test_every_executor_gives_count_regions_in_input_order(kind, batch, request):
    nets, ref = batch
    kw = _where(kind, request)
    assert count_many(nets, **kw) == ref
    seen = list(iter_count_many(nets, **kw))
    assert sorted(i for i, _ in seen) == list(range(len(nets)))  # each index exactly once
    assert [r for _, r in sorted(seen)] == ref


def test_whole_plane_and_plane_slices_are_passed_to_every_net(process_pool):
    nets = [THREE_LINES, ABS_X, [([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [0.0, 0.0]), ([[1.0, 1.0]], [0.0])]]
    plane = ([0, 0, 5], [1, 0, 5], [0, 1, 5])  # (u, v) -> (u, v, 5): the 3-D net's two lines cross once
    want = [exact.count_regions(n, window=None, plane=plane if i == 2 else None) for i, n in enumerate(nets)]
    assert want == [(7, 7), (2, 2), (4, 4)]
    sliced = [exact.ExactNet.from_layers(n).restrict_to_plane(*plane) if i == 2 else n for i, n in enumerate(nets)]
    assert count_many(sliced, window=None, executor=process_pool) == want
    assert count_many(nets[2:], window=None, plane=plane, executor=process_pool) == want[2:]


def test_a_given_executor_stays_open_and_an_own_pool_ends_with_the_iterator(process_pool, batch, monkeypatch):
    nets, ref = batch
    it = iter_count_many(nets * 3, executor=process_pool)
    index, result = next(it)
    assert result == ref[index % len(nets)]
    it.close()  # cancels what has not started; the caller's pool is not shut down
    assert process_pool.submit(abs, -3).result() == 3
    made = []
    own_pool = many_nets._own_pool
    monkeypatch.setattr(many_nets, "_own_pool", lambda jobs: made.append(own_pool(jobs)) or made[-1])
    it = iter_count_many(nets * 3, jobs=2)
    assert made == []  # nothing starts before the first next()
    next(it)
    it.close()  # the own pool's workers end now (terminated, not waited for): it takes no more work
    with pytest.raises(RuntimeError, match="after shutdown|not usable anymore"):
        made[0][0].submit(abs, -3)


def test_workers_hold_blas_and_torch_to_one_thread(monkeypatch):
    seen = []

    def spy(net, **kw):
        seen.append(({d["num_threads"] for d in threadpool_info()}, torch.get_num_threads()))
        return exact.RegionCounts(1, 1)

    monkeypatch.setattr(many_nets, "count_regions", spy)
    net = exact.ExactNet.from_layers(AFFINE)
    torch_threads = torch.get_num_threads()
    try:
        with threadpool_limits(limits=2):
            torch.set_num_threads(2)
            many_nets._count_chunk([net], many_nets._Task(Fraction(1), None, None, parent=-1))  # as in a worker
            after_worker = {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"}
            torch.set_num_threads(2)
            many_nets._count_chunk([net], many_nets._Task(Fraction(1), None, None, parent=os.getpid()))
    finally:
        torch.set_num_threads(torch_threads)
    assert seen[0] == ({1}, 1)       # a worker process counts on one thread
    assert after_worker == {2}       # and gets its BLAS setting back afterwards (torch's stays at 1)
    assert seen[1] == ({2}, 2)       # the caller's own process is left alone


def _bad_batch(tmp_path):
    return [AFFINE, str(tmp_path / "missing.json"), [([[1.0, np.nan]], [0.0]), ([[1.0]], [0.0])],
            numeric.seeded_mlp([2, 5, 5, 1], seed=0), AFFINE, 42]


@pytest.mark.parametrize("kind", ["serial", "process_pool", pytest.param("dask", marks=needs_dask)])
def test_bad_nets_are_reported_each_in_its_place(kind, tmp_path, request):
    kw = _where(kind, request)
    got = count_many(_bad_batch(tmp_path), max_regions=3, on_error="return", **kw)
    assert got[0] == got[4] == (1, 1)  # an affine map: one region
    failures = [(f.index, f.source, f.error) for f in got if isinstance(f, NetFailure)]
    assert failures == [(1, str(tmp_path / "missing.json"), "SpecFileError"), (2, None, "InputError"),
                        (3, None, "TooManyRegionsError"), (5, None, "InputTypeError")]
    assert "nan" in got[2].message and "max_regions=3" in got[3].message
    assert str(got[1]).startswith("nets[1] (") and "does not exist" in str(got[1])
    with pytest.raises(SpecFileError, match=r"nets\[1\] \(.*missing.json\): spec file .* does not exist"):
        count_many(_bad_batch(tmp_path), max_regions=3, **kw)
    with pytest.raises(TooManyRegionsError, match=r"nets\[1\]: more than max_regions=3"):  # raised by a worker
        count_many([AFFINE, numeric.seeded_mlp([2, 5, 5, 1], seed=0)], max_regions=3, **kw)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"window": -1}, InputError, "window must be a finite number > 0"),
    ({"max_regions": 0}, InputError, "max_regions must be a positive integer"),
    ({"max_memory": "lots"}, InputError, "max_memory must be a positive number of bytes"),
    ({"jobs": 0}, InputError, "jobs must be a positive integer or None, got 0"),
    ({"jobs": 2.0}, InputTypeError, "jobs must be a positive integer or None, got 2.0"),
    ({"executor": "pool"}, InputTypeError, "executor must be a concurrent.futures.Executor, got str"),
    ({"on_error": "ignore"}, InputError, "on_error must be 'raise' or 'return', got 'ignore'"),
    ({"plane": ([0, 0, 0], [1, 1, 1], [2, 2, 2])}, InputError, "plane: the three points are collinear"),
    ({"plane": ([0, 0], [1, 0])}, InputError, "plane must be three points"),
])
def test_shared_arguments_are_checked_once_before_any_work(kwargs, error, match):
    def never():
        raise AssertionError("a net was read before the shared arguments were checked")
        yield

    with pytest.raises(error, match=match):
        count_many(never(), **kwargs)


def test_both_executor_and_jobs_or_one_net_are_refused():
    with ThreadPoolExecutor(1) as pool, pytest.raises(InputError, match="give executor= or jobs=, not both"):
        count_many([AFFINE], executor=pool, jobs=2)
    with pytest.raises(InputTypeError, match="got one network .str.; count one network with count_regions"):
        count_many("net.json")
    with pytest.raises(InputTypeError, match="got one network .MLPShallow."):
        count_many(numeric.seeded_mlp([2, 3, 1], seed=0))


def test_threads_of_the_calling_process_change_nothing(batch):
    nets, ref = batch
    before = torch.get_num_threads(), [d["num_threads"] for d in threadpool_info()]
    with ThreadPoolExecutor(2) as pool:
        assert count_many(nets, executor=pool) == ref
    assert (torch.get_num_threads(), [d["num_threads"] for d in threadpool_info()]) == before


# --- the command line --------------------------------------------------------------------

def _specs(tmp_path, n=3):
    files = []
    for s in range(n):
        p = tmp_path / f"n{s}.json"
        exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=s), p)
        files.append(str(p))
    return files


def _lines(path):
    return [json.loads(t) for t in path.read_text().splitlines()]


def test_cli_writes_one_line_per_file_and_reports_failures(tmp_path, capsys):
    files = _specs(tmp_path)
    (tmp_path / "bad.json").write_text("{")
    out = tmp_path / "out.jsonl"
    status = main(["count-many", *files, str(tmp_path / "bad.json"), "--jobs", "2", "--jsonl", str(out), "-q"])
    assert status == 1  # a net failed
    lines = {ln["file"]: ln for ln in _lines(out)}
    assert set(lines) == {*files, str(tmp_path / "bad.json")}
    for f in files:
        want = exact.count_regions(f)
        assert (lines[f]["activation_regions"], lines[f]["linear_regions"]) == want
        assert lines[f]["window"] == 10 and lines[f]["seconds"] > 0 and len(lines[f]["sha256"]) == 64
    bad = lines[str(tmp_path / "bad.json")]
    assert bad["error"] == "SpecFileError" and "not valid JSON" in bad["message"]
    assert "activation_regions" not in bad
    assert capsys.readouterr().out == ""  # the lines went to the file
    assert main(["count-many", *files, "--window", "plane", "-q"]) == 0  # all counted: 0, lines on stdout
    printed = [json.loads(t) for t in capsys.readouterr().out.splitlines()]
    assert [(p["file"], p["window"], p["activation_regions"]) for p in printed] == [
        (f, None, exact.count_regions(f, window=None).activation) for f in files]


def test_cli_resume_skips_what_is_counted_and_redoes_what_changed_or_failed(tmp_path, capsys):
    files = _specs(tmp_path)
    os.remove(files[2])  # missing in the first run: its line is an error
    out = tmp_path / "out.jsonl"
    assert main(["count-many", *files, "--jsonl", str(out), "-q"]) == 1
    assert [ln.get("error") for ln in _lines(out)] == [None, None, "SpecFileError"]
    with open(out, "a") as f:
        f.write('{"file": "cut short')  # a crash in the middle of a line
    exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=9), files[1])  # changed since: counted again
    exact.save_json(numeric.seeded_mlp([2, 8, 8, 1], seed=2), files[2])  # there now: counted
    assert main(["count-many", *files, "--jsonl", str(out), "--resume"]) == 0
    assert "2 counted, 0 failed, 1 already counted" in capsys.readouterr().err
    texts = out.read_text().splitlines()
    new = [json.loads(t) for t in texts[3:]]  # the line cut short is gone: every line is JSON
    assert [(ln["file"], ln["activation_regions"]) for ln in new] == [
        (f, exact.count_regions(f).activation) for f in files[1:]]
    assert new[0]["sha256"] != json.loads(texts[1])["sha256"]
    assert main(["count-many", *files, "--jsonl", str(out), "--resume", "-q"]) == 0
    assert len(out.read_text().splitlines()) == 5  # nothing left to do
    assert main(["count-many", files[0], "--window", "2.5", "--jsonl", str(out), "--resume", "-q"]) == 0
    last = json.loads(out.read_text().splitlines()[-1])
    assert (last["file"], last["window"], last["activation_regions"]) == (
        files[0], 2.5, exact.count_regions(files[0], window=2.5).activation)


def test_cli_resume_retries_a_refused_net(tmp_path, capsys):
    files = _specs(tmp_path, 1)
    out = tmp_path / "out.jsonl"
    assert main(["count-many", *files, "--max-regions", "3", "--jsonl", str(out), "-q"]) == 1
    refused = _lines(out)[0]
    assert refused["error"] == "TooManyRegionsError" and len(refused["sha256"]) == 64
    assert main(["count-many", *files, "--jsonl", str(out), "--resume"]) == 0
    assert "1 counted, 0 failed, 0 already counted" in capsys.readouterr().err
    assert _lines(out)[1]["activation_regions"] == exact.count_regions(files[0]).activation


@pytest.mark.parametrize("extra, match", [
    (["--resume"], "--resume continues a results file: give it with --jsonl OUT"),
    (["--jsonl", "EXISTING"], "exists: add --resume to continue it, or remove it"),
    (["--jsonl", "no/such/folder/out.jsonl"], "the folder 'no/such/folder' does not exist"),
    (["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"], "--scheduler counts on the cluster's workers"),
])
def test_cli_usage_errors_exit_2_before_any_work(extra, match, tmp_path, capsys):
    (tmp_path / "EXISTING").write_text("")
    extra = [str(tmp_path / e) if e == "EXISTING" else e for e in extra]
    assert main(["count-many", *_specs(tmp_path, 1), *extra]) == 2
    captured = capsys.readouterr()
    assert match in captured.err and captured.out == ""
    with pytest.raises(SystemExit, match="2"):
        main(["count-many", "a.json", "--jobs", "0"])
    assert "--jobs takes an integer from 1" in capsys.readouterr().err


# --- dask.distributed --------------------------------------------------------------------

@needs_dask
def test_cli_counts_on_a_dask_scheduler(dask_cluster, tmp_path, capsys):
    cluster, _ = dask_cluster
    files = _specs(tmp_path)
    out = tmp_path / "out.jsonl"
    assert main(["count-many", *files, "--scheduler", cluster.scheduler_address, "--jsonl", str(out), "-q"]) == 0
    got = {ln["file"]: (ln["activation_regions"], ln["linear_regions"]) for ln in _lines(out)}
    assert got == {f: tuple(exact.count_regions(f)) for f in files}


@needs_dask
def test_a_dask_worker_killed_mid_run_costs_nothing_but_time(dask_cluster):
    _, client = dask_cluster
    nets = [exact.as_exact_net(numeric.seeded_mlp([2, 64, 64, 64, 1], seed=s)) for s in range(8)]
    ref = count_many(nets)
    seen, victim = [], None
    for index, result in iter_count_many(nets, executor=client.get_executor()):
        seen.append((index, result))
        if victim is None:  # after the first result: kill (SIGKILL, like the OOM killer) a busy worker
            deadline = time.monotonic() + 5
            while victim is None and time.monotonic() < deadline:
                busy = sorted(w for w, tasks in client.processing().items() if tasks)
                victim = busy[0] if busy else None
            assert victim is not None, "no worker was busy: the nets are too fast for this test"
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
    assert sorted(i for i, _ in seen) == list(range(len(nets)))  # each net once, none lost
    assert [r for _, r in sorted(seen)] == ref
    assert victim not in client.scheduler_info()["workers"]  # it really died (its nanny starts a new one)
    client.wait_for_workers(2, timeout=60)


def test_cli_counts_in_a_rectangle_and_resumes_it(tmp_path, capsys):
    # a rectangle window was an internal error in count-many's JSON (found in review)
    files = _specs(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    assert main(["count-many", *files, "--window=-1,2,0,1", "--jsonl", str(out), "-q"]) == 0
    lines = _lines(out)
    assert [ln["window"] for ln in lines] == [{"rectangle": [-1, 2, 0, 1]}] * 2
    for ln in lines:
        want = exact.count_regions(ln["file"], window=(-1, 2, 0, 1))
        assert (ln["activation_regions"], ln["linear_regions"]) == want
    assert main(["count-many", *files, "--window=-1,2,0,1", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert len(_lines(out)) == 2  # both already counted in this window


def test_cli_resume_matches_a_rectangle_written_the_old_way_by_exact_value(tmp_path, capsys):
    # count-many now writes a rectangle's bounds short ("1e+300", 1); earlier lines had every digit
    # and floats (-1.0): the same window, so --resume skips it; another window is counted again
    files = _specs(tmp_path, 1)
    out = tmp_path / "out.jsonl"
    assert main(["count-many", *files, "--window=-1e300,1e300,-1,1", "--jsonl", str(out), "-q"]) == 0
    line = _lines(out)[0]
    assert line["window"] == {"rectangle": ["-1e+300", "1e+300", -1, 1]}
    line["window"] = {"rectangle": ["-1" + "0" * 300, "1" + "0" * 300, -1.0, 1.0]}  # as written before
    out.write_text(json.dumps(line) + "\n")
    assert main(["count-many", *files, "--window=-1e300,1e300,-1,1", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert len(_lines(out)) == 1
    line["window"] = {"rectangle": ["-1" + "0" * 300, "1" + "0" * 299 + "1", -1.0, 1.0]}  # 10**300 + 1
    out.write_text(json.dumps(line) + "\n")
    assert main(["count-many", *files, "--window=-1e300,1e300,-1,1", "--jsonl", str(out), "--resume", "-q"]) == 0
    assert len(_lines(out)) == 2


def test_cli_resume_refuses_a_file_that_is_not_results(tmp_path, capsys):
    # from a new user's trial: --resume appended a result line to a network spec
    files = _specs(tmp_path, 1)
    victim = tmp_path / "victim.json"
    victim.write_text(open(files[0]).read())
    before = victim.read_text()
    assert main(["count-many", *files, "--jsonl", str(victim), "--resume"]) == 2
    assert "line 1 is not a count-many result line" in capsys.readouterr().err
    assert victim.read_text() == before


def test_cli_bad_scheduler_address_is_a_usage_error(tmp_path, capsys):
    files = _specs(tmp_path, 1)
    assert main(["count-many", *files, "--scheduler", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler 'nonsense' is not a scheduler address" in err and "internal error" not in err


def test_nets_of_any_input_width_are_counted_like_count_regions():
    # from a new user's trial: count_many refused a 3-D net that count_regions counts
    net3 = [([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], [0, 0, 0, -1]), ([[1, 1, 1, 1]], [0])]
    net1 = [([[1.0], [1.0]], [0.0, -1.0]), ([[1.0, -1.0]], [0.0])]
    got = count_many([net3, net1], window=2)
    assert got == [exact.count_regions(net3, window=2), exact.count_regions(net1, window=2)]
    assert got[0] == (15, 15)  # four planes in general position: 1 + 4 + 6 + 4
