"""The benchmark suite's smoke run: `benchmarks/run.py --quick` finishes and writes a complete report.

This checks that every section ran and reported numbers, and that graphflow and hand-written numpy trained to the
same weights; it never asserts on speed (times on a shared machine say nothing about correctness). One test checks the
report's wording of a missed step goal directly, since the smoke run has no peers to miss one against.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    report, raw = out / "RESULTS.md", out / "results.json"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--quiet", "--out", str(report), "--json", str(raw)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"run.py --quick failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return report.read_text(), json.loads(raw.read_text())


def test_the_report_has_every_section(quick_run):
    text, _ = quick_run
    for heading in (
        "# graphflow benchmarks",
        "## Machine and versions",
        "## Performance goals",
        "## 1. Training step",
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
