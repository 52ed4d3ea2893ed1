"""The benchmark suite's smoke run: `benchmarks/run.py --quick` finishes and writes a complete report.

This checks that every section ran and reported numbers, and that graphflow and hand-written numpy trained to the
same weights; it never asserts on speed (times on a shared machine say nothing about correctness). One test checks the
report's wording of a missed step goal directly, since the smoke run has no peers to miss one against.
"""

from __future__ import annotations

import importlib.util
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphflow import threads

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    report, raw = out / "RESULTS.md", out / "results.json"
    with subprocess.Popen(
        [sys.executable, str(RUN), "--quick", "--busy", "1", "--quiet", "--out", str(report), "--json", str(raw)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, f"run.py --quick failed:\n{stdout[-3000:]}\n{stderr[-3000:]}"
    data = json.loads(raw.read_text())
    data["run_pid"] = proc.pid  # the parent of its busy processes
    return report.read_text(), data


def test_the_report_has_every_section(quick_run):
    text, _ = quick_run
    for heading in (
        "# graphflow benchmarks",
        "## Machine and versions",
        "## Performance goals",
        "## 1. Training step",
        "## 7. Real workloads",
        "## 2. The tutorial's full-batch iteration",
        "## 3. Time to 97.5% MNIST test accuracy",
        "## 4. Framework overhead",
        "## 5. Peak memory of the tutorial",
        "## 6. Plan compile time by graph size",
    ):
        assert heading in text, heading
    assert "quick smoke run" in text
    assert "Peers skipped" in text  # --quick runs no peers, and says so


def test_the_machine_and_versions_are_recorded(quick_run):
    text, data = quick_run
    for row in ("| CPU |", "| RAM |", "| Python |", "| numpy |", "| graphflow |", "| threads |"):
        assert row in text, row
    kernels = re.search(r"\| numpy's BLAS kernels \| (\w+) \((.*?)\) \|", text)
    assert kernels, "the report does not say which kernels numpy's products ran"
    assert kernels.group(1) != "None" and ("OPENBLAS_CORETYPE" in kernels.group(2) or "own pick" in kernels.group(2))
    assert re.search(r"\| RAM \| \d+(\.\d+)? GiB \|", text)
    assert "graphflow" in data["meta"]["versions"]


def test_every_goal_has_a_status(quick_run):
    text, _ = quick_run
    goals = text.split("## Performance goals")[1].split("\n## ")[0]
    rows = [line for line in goals.splitlines() if line.startswith("| ") and not line.startswith("| goal")]
    assert len(rows) >= 15  # 9 step ratios, 2 tutorial, 1 accuracy, 3 overhead, 2 memory
    for row in rows:
        status = row.rstrip(" |").rsplit("|", 1)[1]
        assert re.search(r"met|not measured|skipped|not installed|not reached", status), row
    assert re.search(r"\| 2\. tutorial iteration, float32: graphflow / in-place numpy \| \d", goals)
    assert re.search(r"\| 4\. first run of a 10,000-node graph \(s\) \| \d", goals)


def test_graphflow_and_numpy_rows_have_times(quick_run):
    text, data = quick_run
    time_cell = r"\d+(\.\d+)? (µs|ms|s)"
    body = text.split("## 1. Training step")[1]
    for label in ("graphflow", "hand-written numpy"):
        rows = [line for line in body.splitlines() if line.startswith(f"| {label} |")]
        assert len(rows) >= 8, label  # 3 batch sizes, 2 dtypes, chain, fixed cost, accuracy
        for line in rows:
            assert re.match(rf"\| {re.escape(label)} \| {time_cell} \| {time_cell} – {time_cell} \|", line), line
    floors = [line for line in body.splitlines() if line.startswith("| numpy, the 5 matmuls alone (floor) |")]
    assert len(floors) == 5  # 3 batch sizes, 2 dtypes
    results = data["results"]
    for batch_rows in results["mlp"]["rows"].values():
        assert all(t > 0 for t in batch_rows["graphflow"]["samples"])
        assert len(batch_rows["graphflow"]["samples"]) == 2  # --quick repeats twice
        assert batch_rows["numpy-matmuls"]["error"] is None and len(batch_rows["numpy-matmuls"]["samples"]) == 2
    compile_rows = results["compile"]["rows"]
    assert [int(n) for n in compile_rows] == [1_000, 10_000, 100_000]
    for row in compile_rows.values():
        assert row["error"] is None and row["samples"] and row["extra"][-1]["nodes"] >= 1_000


def test_graphflow_trains_to_the_same_weights_as_numpy(quick_run):
    _, data = quick_run
    # The bounds are about ten times the differences the smoke run shows on the project's machine (3e-16 in float64
    # and 1.5e-7 in float32 for the tutorial; 1.1e-6 at most for the float32 Adam MLP, whose division by sqrt(v)
    # magnifies a rounding apart): summation order may differ, an update rule may not, and a wrong one is off by
    # far more (one Adam step moves a weight by about lr = 1e-3).
    tutorial = data["results"]["tutorial"]["rows"]
    assert tutorial["float64"]["graphflow"]["weight_diff"] < 1e-14
    assert tutorial["float32"]["graphflow"]["weight_diff"] < 2e-6
    for batch_rows in data["results"]["mlp"]["rows"].values():
        assert batch_rows["graphflow"]["weight_diff"] < 1e-5
        assert batch_rows["graphflow-onehot"]["weight_diff"] < 1e-5


def test_memory_is_measured_in_separate_processes(quick_run):
    _, data = quick_run
    for dtype in ("float64", "float32"):
        for framework in ("graphflow", "numpy"):
            entry = data["results"]["memory"]["rows"][dtype][framework]
            assert entry["rss"]["peak_rss_mib"] >= entry["rss"]["baseline_rss_mib"] > 0
            assert entry["traced"]["traced_peak_mib"] > 0


def test_an_unknown_section_is_an_error():
    proc = subprocess.run([sys.executable, str(RUN), "--only", "nonsense"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown section" in proc.stderr


def test_a_missed_step_goal_is_set_against_the_matmul_floor(monkeypatch):
    monkeypatch.syspath_prepend(str(RUN.parent))  # run.py adds its folder to sys.path; this puts it back after
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    run = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_run", run)  # its dataclasses look their module up there
    monkeypatch.delitem(sys.modules, "common", raising=False)  # and the `common` it imports goes with it
    spec.loader.exec_module(run)
    peer = run.Row("tf1", samples=[6.3e-3])
    floor = run.Row("numpy-matmuls", samples=[4.7e-3, 4.8e-3])
    assert run.floor_note(peer, 0.7, floor) == "needs ≤ 4.41 ms: 0.93x the 4.75 ms of the matmuls alone"
    assert run.floor_note(peer, 0.7, None) == ""  # no floor measured (numpy not run): nothing to set it against


# -- loaded runs (--busy N) ------------------------------------------------------------------------------------------


def test_the_step_and_the_workloads_are_timed_idle_and_loaded(quick_run):
    text, data = quick_run
    assert re.search(r"\| busy \| 1 CPU-bound process", text)
    assert text.count("| loaded median |") == 3 + 4  # 3 batch sizes, 4 workloads
    goals = text.split("## Performance goals")[1].split("\n## ")[0]
    for batch in (32, 128, 1024):
        assert re.search(rf"\| 1L\. step, batch {batch} with 1 busy: graphflow loaded / idle \| \d", goals)
        assert f"1L. step, batch {batch} with 1 busy: graphflow / fastest peer" in goals  # no peers: not measured
        rows = data["results"]["mlp"]["rows"][str(batch)]
        assert len(rows["graphflow"]["busy_samples"]) == 2 and all(t > 0 for t in rows["graphflow"]["busy_samples"])
    for name in ("autoencoder", "wide", "batchnorm", "summaries"):
        row = data["results"]["workloads"]["rows"][name]["graphflow"]
        assert row["error"] is None and len(row["samples"]) == len(row["busy_samples"]) == 2
        assert re.search(rf"\| 7\. {name}, loaded: graphflow / TF-1 \| – \| ≤ 1\.0 \| not measured", goals)
        assert all(e["blas_threads"] >= 1 for e in row["extra"] + row["busy_extra"])
    # every loaded table says what graphflow's thread policy chose, idle and loaded
    notes = re.findall(r"thread policy chose ([\d or]+) BLAS threads? \(other processes using [\d.-]+", text)
    assert len(notes) == 3 + 4, notes
    assert not _spinners(data["run_pid"]), "a busy process outlived the run"


def _spinners(parent: int | None = None) -> list[int]:
    """Pids of busy processes started by benchmarks/busy.py that are still alive (started by `parent` only, when
    given: other runs may be going on at the same time)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            args = cmdline.split(b"\0")
            if b"deadline, parent = float(sys.argv[1])" not in cmdline or stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            if parent is None or args[-2:-1] == [str(parent).encode()]:
                pids.append(int(entry.name))
    return pids


def _busy_module(monkeypatch):
    monkeypatch.syspath_prepend(str(RUN.parent))
    import busy

    return busy


def _wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_busy_processes_stop_on_stop_on_an_error_and_by_themselves(monkeypatch):
    busy = _busy_module(monkeypatch)
    load = busy.BusyLoad(2).start()
    pids = load.running()
    assert len(pids) == 2
    load.pause()
    load.resume()
    load.stop()
    assert load.running() == [] and not set(pids) & set(_spinners())
    with pytest.raises(RuntimeError, match="boom"), busy.BusyLoad(1) as load:
        pids = load.running()
        raise RuntimeError("boom")
    assert pids and not set(pids) & set(_spinners())
    load = busy.BusyLoad(1, limit=0.3).start()  # bounded in time: exits at its deadline without being stopped
    try:
        assert _wait_until(lambda: load.running() == [])
    finally:
        load.stop()
    with pytest.raises(ValueError, match="--busy"):
        busy.BusyLoad(-1)


def test_busy_processes_report_the_cpu_time_they_used(monkeypatch):
    busy = _busy_module(monkeypatch)
    with busy.BusyLoad(1) as load:
        time.sleep(0.3)
        assert load.cpu_seconds() > 0.1  # spinning: most of the 0.3 s on a core
        load.pause()
        time.sleep(0.05)
        paused = load.cpu_seconds()
        time.sleep(0.3)
        assert load.cpu_seconds() - paused < 0.03  # stopped: no CPU time (a clock tick of slack)
    assert busy.BusyLoad(0).cpu_seconds() == 0.0


@pytest.mark.parametrize("then", ["", "load.pause(); "], ids=["running", "paused"])
def test_busy_processes_exit_when_their_parent_is_killed(then):
    # A paused (stopped) process runs no code, so it cannot notice that its parent is gone: the kernel has to end it.
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import busy; "
        f"load = busy.BusyLoad(1).start(); {then}print(load.running()[0], flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(RUN.parent)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert child in _spinners()
    finally:
        parent.kill()
        parent.wait()
    assert _wait_until(lambda: child not in _spinners()), "the busy process outlived its killed parent"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_stops_its_busy_processes(tmp_path, sig):
    proc = subprocess.Popen(
        [sys.executable, str(RUN), "--quick", "--busy", "2", "--only", "compile", "--out", str(tmp_path / "r.md")],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_until(lambda: len(_spinners(proc.pid)) == 2, timeout=60)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert _wait_until(lambda: not _spinners(proc.pid), timeout=15), "busy processes outlived the run"


def test_thread_counts_times_each_count_idle_and_loaded():
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "thread_counts.py"), "--batches", "32", "--seconds", "0.05"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in proc.stdout.splitlines() if re.match(r"\| 32 \|", line)]
    counts = sorted({1, len(threads.affinity_cores())})
    # The thread column is what BLAS ran with, read back from the library: each session's override reached it.
    assert [(r[1].strip(), int(r[2])) for r in rows] == [(load, k) for load in ("idle", "1 busy") for k in counts]
    for r in rows:
        assert int(r[7].split(" of ")[1]) > 0  # steps were timed
        load = float(r[8])  # the busy process's CPU time over the turns, in cores
        assert load == 0.0 if r[1].strip() == "idle" else load > 0.2


def test_thread_counts_reports_the_mean_beside_the_median_and_counts_the_stalls(monkeypatch):
    monkeypatch.syspath_prepend(str(RUN.parent))
    spec = importlib.util.spec_from_file_location("bench_thread_counts", RUN.parent / "thread_counts.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.delitem(sys.modules, "common", raising=False)
    spec.loader.exec_module(module)
    # 97 steps of 1 ms, one of 5.6 ms (less than STALL over the median) and two held up: 7 ms and 20 ms.
    times = [0.001] * 97 + [0.0056, 0.007, 0.020]
    cells = [c.strip() for c in module.row(128, "1 busy", "2", times, 0.987).split("|")[1:-1]]
    assert cells == ["128", "1 busy", "2", "1296 µs", "1000 µs", "7.1 ms", "20.0 ms", "2 of 100", "0.99"]
    assert module.row(32, "idle", "1", [0.002], 0.0).endswith("| 2.0 ms | 2.0 ms | 0 of 1 | 0.00 |")  # one step will do
