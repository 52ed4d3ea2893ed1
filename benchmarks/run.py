"""graphflow's benchmark suite: graphflow against hand-written numpy and the frameworks people would pick.

    python benchmarks/run.py                      # everything, peers included when installed (10-15 minutes)
    python benchmarks/run.py --quick              # a seconds-long smoke run without peers (CI)
    python benchmarks/run.py --only mlp,overhead  # some sections only
    python benchmarks/run.py --repeats 9 --out benchmarks/RESULTS.md

Each framework runs in a worker process of its own (benchmarks/worker.py), all started at once and kept for the
whole run. A measurement sets up every framework's runner (building and warming it up), then times blocks of
iterations in turn, graphflow, numpy, torch, ..., graphflow, numpy, ..., so machine noise hits them alike; the
report gives the median and the range over the repeats and the ratio graphflow / peer. Sections: mlp (training step),
tutorial (full-batch iteration), accuracy (time to 97.5%), overhead (op chain, Session.run fixed cost, first compile),
memory (peak memory of the tutorial preset) and compile (plan compile time by graph size).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402
from busy import BusyLoad  # noqa: E402

FRAMEWORKS = ["graphflow", "numpy", "torch", "torch.compile", "tf1", "jax"]
PEERS = ["torch", "torch.compile", "tf1", "jax"]
LABELS = {
    "graphflow": "graphflow",
    "graphflow-onehot": "graphflow, one-hot labels",
    "numpy": "hand-written numpy",
    "numpy-matmuls": "numpy, the 5 matmuls alone (floor)",
    "torch": "PyTorch eager",
    "torch.compile": "torch.compile",
    "tf1": "TF compat.v1 graph mode",
    "jax": "JAX jit",
}
SECTIONS = ["mlp", "workloads", "tutorial", "accuracy", "overhead", "memory", "compile"]
SETTLE = 0.5  # seconds each runner runs untimed after the load changes (--busy)
STEP_PEERS = ["torch", "tf1", "jax"]  # the peers whose fastest step the loaded goal compares with


# --------------------------------------------------------------------------------------------------------------------
# Workers


class WorkerError(RuntimeError):
    pass


class Worker:
    """A framework's worker process; `call` sends one request and waits for its reply."""

    def __init__(self, name: str, log_dir: Path, extra_env: dict | None = None) -> None:
        self.name = name
        env = dict(os.environ, **common.THREAD_ENV, **(extra_env or {}))
        env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(common.REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115  (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=str(common.REPO),
            env=env,
        )
        self.hello: dict | None = None

    def ready(self, timeout: float = 300) -> dict:
        """The worker's first message: its versions, or the error that kept the framework from importing."""
        if self.hello is None:
            try:
                self.hello = self._read(timeout)
            except WorkerError as e:
                self.hello = {"error": str(e)}
        return self.hello

    def _read(self, timeout: float) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            raise WorkerError(f"{self.name}: no answer within {timeout:.0f} s (worker stopped)")
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"{self.name}: worker exited ({self.tail()})")
        return json.loads(line)

    def call(self, timeout: float = 900, **request) -> dict:
        if self.proc.poll() is not None:
            raise WorkerError(f"{self.name}: worker is not running ({self.tail()})")
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        reply = self._read(timeout)
        if "error" in reply:
            raise WorkerError(reply["error"].strip().splitlines()[-1] if reply["error"].strip() else "error")
        return reply

    def tail(self) -> str:
        self.log.flush()
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:]) if lines else "no output"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.log.close()


class Pool:
    """One long-lived worker per framework; frameworks that fail to import are recorded as missing."""

    def __init__(self, names: list[str], log_dir: Path) -> None:
        self.log_dir = log_dir
        self.workers = {name: Worker(name, log_dir) for name in names}
        self.versions: dict[str, str] = {}
        self.missing: dict[str, str] = {}
        for name, worker in list(self.workers.items()):
            hello = worker.ready()
            if "error" in hello:
                self.missing[name] = hello["error"]
                worker.close()
                del self.workers[name]
            else:
                self.versions.update(hello["versions"])

    def get(self, name: str) -> Worker | None:
        worker = self.workers.get(name)
        if worker is not None and worker.proc.poll() is not None:  # died (e.g. killed on a timeout): start again
            worker.close()
            worker = self.workers[name] = Worker(name, self.log_dir)
            if "error" in worker.ready():
                return None
        return worker

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()


# --------------------------------------------------------------------------------------------------------------------
# Measurements


@dataclass
class Row:
    """One framework's measurement: per-iteration times of each repeat (seconds), or an error."""

    key: str
    samples: list[float] = field(default_factory=list)
    extra: list[dict] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    error: str | None = None
    weight_diff: float | None = None
    busy_samples: list[float] = field(default_factory=list)  # the same, with the --busy processes running
    busy_extra: list[dict] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def busy_median(self) -> float | None:
        return statistics.median(self.busy_samples) if self.busy_samples else None

    @property
    def label(self) -> str:
        return LABELS.get(self.key, self.key)


@dataclass
class Spec:
    key: str  # row key (LABELS)
    worker: str  # framework worker
    params: dict = field(default_factory=dict)
    max_repeats: int | None = None  # for runners too slow to repeat (torch.compile of a 10,000-node chain)


class Bench:
    def __init__(self, args: argparse.Namespace, pool: Pool, frameworks: list[str], load: BusyLoad) -> None:
        self.args, self.pool, self.frameworks, self.load = args, pool, frameworks, load
        self.tmp = Path(tempfile.mkdtemp(prefix="graphflow-bench-"))
        self.counter = 0

    def log(self, message: str) -> None:
        if not self.args.quiet:
            print(message, file=sys.stderr, flush=True)

    def specs(self, keys: list[str], params: dict, caps: dict[str, int] | None = None) -> list[Spec]:
        out = []
        for key in keys:
            worker = {"graphflow-onehot": "graphflow", "numpy-matmuls": "numpy"}.get(key, key)
            if worker not in self.frameworks:
                continue
            extra = {"graphflow-onehot": {"variant": "onehot"}, "numpy-matmuls": {"variant": "matmuls"}}.get(key, {})
            out.append(Spec(key, worker, {**params, **extra}, (caps or {}).get(key)))
        return out

    def measure(
        self,
        title: str,
        workload: str,
        specs: list[Spec],
        n: int,
        repeats: int,
        compare_weights_to: str | None = None,
        setup_timeout: float = 900,
        loaded: bool = False,
    ) -> dict[str, Row]:
        """Sets up every runner, then times `repeats` rounds of `n` iterations, one runner after another.

        With `loaded` and `--busy N`, each round times every runner twice: with the busy processes stopped
        (`samples`), then running (`busy_samples`). After each switch every runner first runs untimed for at least
        `SETTLE` seconds, so the timed block sees the load steadily: graphflow's thread policy looks at the machine
        every 0.2 s and needs one whole window of the new load to see it.
        """
        rows: dict[str, Row] = {}
        live: list[tuple[Spec, Worker, str]] = []
        for spec in specs:
            row = rows[spec.key] = Row(spec.key)
            worker = self.pool.get(spec.worker)
            if worker is None:
                row.error = "not installed"
                continue
            self.counter += 1
            rid = f"r{self.counter}"
            start = time.perf_counter()
            try:
                reply = worker.call(cmd="setup", id=rid, workload=workload, params=spec.params, timeout=setup_timeout)
                row.info = reply.get("info", {})
                live.append((spec, worker, rid))
            except WorkerError as e:
                row.error = str(e)
            self.log(f"  [{title}] set up {spec.key} in {time.perf_counter() - start:.1f} s")
        if compare_weights_to is not None:
            # After the warm-up, before any timing: long runs drift apart by rounding, a few steps must agree.
            self._compare_weights(rows, live, compare_weights_to)
        states = ["idle", "busy"] if loaded and self.load.n else ["idle"]
        for r in range(repeats):
            for state in states:
                if state == "busy":
                    self.load.resume()
                else:
                    self.load.pause()
                for spec, worker, rid in live:
                    row = rows[spec.key]
                    samples = row.busy_samples if state == "busy" else row.samples
                    if row.error or (spec.max_repeats is not None and len(samples) >= spec.max_repeats):
                        continue
                    if self.args.pause:
                        time.sleep(self.args.pause)  # let the previous framework's BLAS threads stop spinning
                    try:
                        if len(states) > 1:  # settle into the new load, untimed
                            settle_until = time.perf_counter() + SETTLE
                            while time.perf_counter() < settle_until:
                                worker.call(cmd="run", id=rid, n=max(1, n // 3))
                        reply = worker.call(cmd="run", id=rid, n=n)
                    except WorkerError as e:
                        row.error = str(e)
                        continue
                    samples.append(reply["seconds"] / n)
                    extra = row.busy_extra if state == "busy" else row.extra
                    extra.append({k: v for k, v in reply.items() if k not in ("ok", "seconds")})
                busy = state == "busy"
                timed = {sp.key: rows[sp.key].busy_samples if busy else rows[sp.key].samples for sp, *_ in live}
                self.log(
                    f"  [{title}] repeat {r + 1}/{repeats} {state}: "
                    + ", ".join(f"{key} {fmt_time(samples[-1])}" for key, samples in timed.items() if samples)
                )
        self.load.pause()
        for _, worker, rid in live:
            with contextlib.suppress(WorkerError):
                worker.call(cmd="drop", id=rid)
        return rows

    def _compare_weights(self, rows: dict[str, Row], live: list, reference: str) -> None:
        import numpy as np

        saved = {}
        for spec, worker, rid in live:
            if rows[spec.key].error:
                continue
            path = self.tmp / f"{rid}.npz"
            try:
                worker.call(cmd="weights", id=rid, path=str(path))
                saved[spec.key] = dict(np.load(path))
            except (WorkerError, OSError):
                pass
        ref = saved.get(reference)
        if ref is None:
            return
        for key, weights in saved.items():
            if set(weights) != set(ref):
                continue
            rows[key].weight_diff = max(float(np.max(np.abs(weights[k] - ref[k]))) for k in ref)

    def memory(self, framework: str, dtype: str, subset: int, iterations: int, traced: bool) -> dict | str:
        """Peak memory of the tutorial in a fresh worker (the long-lived ones carry other workloads' memory)."""
        extra = {"BENCH_TRACEMALLOC": "1"} if traced else {}
        worker = Worker(framework, self.pool.log_dir, extra)
        try:
            if "error" in worker.ready():
                return "not installed"
            worker.call(
                cmd="setup",
                id="m",
                workload="memory",
                params={"dtype": dtype, "subset": subset, "iterations": iterations},
            )
            return worker.call(cmd="run", id="m", n=1)
        except WorkerError as e:
            return str(e)
        finally:
            worker.close()


# --------------------------------------------------------------------------------------------------------------------
# Sections


def section_mlp(bench: Bench, q: bool) -> dict:
    out = {}
    keys = ["graphflow", "graphflow-onehot", "numpy", "numpy-matmuls", "torch", "torch.compile", "tf1", "jax"]
    steps = {32: 10, 128: 5, 1024: 2} if q else {32: 300, 128: 150, 1024: 30}
    for batch in (32, 128, 1024):
        params = {"batch": batch, "subset": 2048 if q else 0}
        specs = bench.specs(keys, params)
        out[batch] = bench.measure(
            f"mlp {batch}", "mlp_step", specs, steps[batch], bench.args.repeats, "numpy", loaded=True
        )
    return {"rows": out, "steps": steps}


def section_workloads(bench: Bench, q: bool) -> dict:
    keys = ["graphflow", "torch", "tf1", "jax"]
    out, steps = {}, {}
    for name, (_, _, _, counts) in common.WORKLOADS.items():
        steps[name] = counts[1] if q else counts[0]
        params = {"workload": name, "subset": 2048 if q else 0}
        out[name] = bench.measure(
            f"workload {name}", "workload", bench.specs(keys, params), steps[name], bench.args.repeats, loaded=True
        )
    return {"rows": out, "steps": steps}


def section_tutorial(bench: Bench, q: bool) -> dict:
    out = {}
    keys = ["graphflow", "numpy", "numpy-matmuls", "torch", "torch.compile", "tf1", "jax"]
    n = 2 if q else 4
    subset = 2000 if q else 0
    for dtype in ("float32", "float64"):
        specs = bench.specs(keys, {"dtype": dtype, "subset": subset})
        out[dtype] = bench.measure(f"tutorial {dtype}", "tutorial", specs, n, bench.args.repeats, "numpy")
    return {"rows": out, "n": n, "images": subset or 60000}


def section_accuracy(bench: Bench, q: bool) -> dict:
    cfg = (
        {"subset": 4096, "test_subset": 1000, "batch": 128, "max_steps": 60, "eval_every": 20}
        if q
        else {"subset": 0, "test_subset": 0, "batch": 128, "max_steps": 5 * (60000 // 128), "eval_every": 100}
    )
    cfg["target"] = common.TARGET_ACCURACY
    keys = ["graphflow", "numpy", "torch", "torch.compile", "tf1", "jax"]
    repeats = 1 if q else max(1, min(bench.args.repeats, 3))
    rows = bench.measure("accuracy", "accuracy", bench.specs(keys, cfg), 1, repeats)
    return {"rows": rows, "cfg": cfg, "repeats": repeats}


def section_overhead(bench: Bench, q: bool) -> dict:
    iterations = 1000
    keys = ["graphflow", "numpy", "torch", "torch.compile", "tf1", "jax"]
    chain = bench.measure(
        "chain", "chain", bench.specs(keys, {"iterations": iterations}), 5 if q else 100, bench.args.repeats
    )
    fixed = bench.measure("fixed cost", "fixed_cost", bench.specs(keys, {}), 200 if q else 5000, bench.args.repeats)
    compile_keys = ["graphflow", "tf1", "jax", "torch.compile"]
    repeats = 1 if q else max(1, min(bench.args.repeats, 3))
    first = bench.measure(
        "first compile",
        "first_compile",
        bench.specs(compile_keys, {"nodes": 10_000}, caps={"torch.compile": 1}),
        1,
        repeats,
        setup_timeout=1800,
    )
    return {"chain": chain, "fixed": fixed, "first": first, "iterations": iterations, "first_repeats": repeats}


def section_memory(bench: Bench, q: bool) -> dict:
    subset, iterations = (2000, 2) if q else (0, 3)
    keys = ["graphflow", "numpy", "torch", "tf1", "jax"]
    out: dict = {}
    for dtype in ("float64", "float32"):
        out[dtype] = {}
        for key in keys:
            if key not in bench.frameworks:
                continue
            bench.log(f"  [memory {dtype}] {key} ...")
            rss = bench.memory(key, dtype, subset, iterations, traced=False)
            traced = (
                bench.memory(key, dtype, subset, iterations, traced=True) if key in ("graphflow", "numpy") else None
            )
            out[dtype][key] = {"rss": rss, "traced": traced}
    return {"rows": out, "images": subset or 60000, "iterations": iterations}


def section_compile(bench: Bench, q: bool) -> dict:
    sizes = [1_000, 10_000, 100_000]
    out = {}
    repeats = 1 if q else max(1, min(bench.args.repeats, 3))
    for nodes in sizes:
        rows = bench.measure(
            f"compile {nodes}", "first_compile", bench.specs(["graphflow"], {"nodes": nodes}), 1, repeats
        )
        out[nodes] = rows["graphflow"]
    return {"rows": out, "repeats": repeats}


# --------------------------------------------------------------------------------------------------------------------
# Report


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_range(samples: list[float]) -> str:
    if not samples:
        return "–"
    return f"{fmt_time(min(samples))} – {fmt_time(max(samples))}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt_ratio(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}"


def status_cell(row: Row) -> str:
    if row.error == "not installed":
        return "not installed"
    if row.error:
        return f"error: {row.error[:120]}"
    return ""


def timing_table(rows: dict[str, Row], first_col: str | None = None, weights: bool = False) -> list[str]:
    """The rows' medians, ranges and ratios to graphflow; with loaded columns when the rows were also timed under
    --busy load."""
    gf = rows.get("graphflow")
    gf_median = gf.median if gf else None
    gf_busy = gf.busy_median if gf else None
    loaded = any(row.busy_samples for row in rows.values())
    head = (f"| {first_col} " if first_col else "") + "| framework | median | min – max | graphflow / this |"
    if loaded:
        head += " loaded median | loaded min – max | loaded / idle | graphflow / this, loaded |"
    head += " max abs Δweights vs numpy after warm-up |" if weights else ""
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows.values():
        cells = [row.label]
        if row.samples:
            cells += [fmt_time(row.median), fmt_range(row.samples), fmt_ratio(ratio(gf_median, row.median))]
        else:
            cells += [status_cell(row), "", ""]
        if loaded:
            if row.busy_samples:
                cells += [
                    fmt_time(row.busy_median),
                    fmt_range(row.busy_samples),
                    fmt_ratio(ratio(row.busy_median, row.median)),
                    fmt_ratio(ratio(gf_busy, row.busy_median)),
                ]
            else:
                cells += ["–", "", "", ""]
        if weights:
            cells.append("–" if row.weight_diff is None else f"{row.weight_diff:.1e}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines + policy_note(gf) if loaded and gf else lines


def policy_note(gf: Row) -> list[str]:
    """What graphflow's thread policy chose in the idle and the loaded blocks (as the rows' runners report it)."""

    def chosen(extras: list[dict]) -> str:
        counts = sorted({e["blas_threads"] for e in extras if "blas_threads" in e})
        busy = [e["others_busy"] for e in extras if "others_busy" in e]
        if not counts:
            return ""
        threads = " or ".join(map(str, counts)) + " BLAS thread" + ("s" if counts != [1] else "")
        return f"{threads} (other processes using {min(busy):.2f}-{max(busy):.2f} cores)"

    idle, busy = chosen(gf.extra), chosen(gf.busy_extra)
    if not idle or not busy:
        return []
    return ["", f"graphflow's thread policy chose {idle} in the idle blocks and {busy} in the loaded blocks."]


def fastest(rows: dict[str, Row], keys: list[str], busy: bool) -> Row | None:
    """The row among `keys` with the smallest median (loaded median when `busy`), or None if none has one."""
    timed = [rows[k] for k in keys if k in rows and (rows[k].busy_median if busy else rows[k].median)]
    return min(timed, key=lambda r: r.busy_median if busy else r.median, default=None)


class Goals:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, str, str]] = []

    def add(self, goal: str, measured: float | None, target: str, met: bool | None, note: str = "") -> None:
        if met is None:
            status = "not measured" + (f" ({note})" if note else "")
            value = "–"
        else:
            status = ("**met**" if met else "not met") + (f" ({note})" if note else "")
            value = f"{measured:.3g}" if measured is not None else "–"
        self.lines.append((goal, value, target, status))


def floor_note(peer: Row, limit: float, floor: Row | None) -> str:
    """For a goal of at most `limit` times the peer's step: the time it asks for, against the time of the step's
    matrix products alone, which graphflow's step cannot go below."""
    goal = peer.median * limit
    if floor is None or not floor.median:
        return ""
    return f"needs ≤ {fmt_time(goal)}: {goal / floor.median:.2f}x the {fmt_time(floor.median)} of the matmuls alone"


def why_missing(row: Row | None, missing_note: str) -> str:
    if row is None:
        return missing_note
    return "peer not installed" if row.error == "not installed" else (f"error: {row.error[:60]}" if row.error else "")


def machine_info() -> dict:
    info = {"cpu": platform.processor() or "unknown", "cores": str(os.cpu_count())}
    try:
        text = Path("/proc/cpuinfo").read_text()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["cores"] = f"{os.cpu_count()} logical"
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram"] = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        info["ram"] = "unknown"
    info["os"] = platform.platform()
    info["python"] = f"{platform.python_version()} ({sys.executable})"
    return info


def blas_info() -> str:
    try:
        import numpy as np

        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        return "unknown"


def blas_kernels() -> str:
    """The kernels numpy's OpenBLAS runs (graphflow's and the numpy rows' products), and who chose them: OpenBLAS
    picks them from the CPU model unless OPENBLAS_CORETYPE names a set. TF, JAX and PyTorch bring their own."""
    try:
        import numpy  # noqa: F401  (loads the BLAS library threadpoolctl looks for)
        from threadpoolctl import threadpool_info

        kernels = next(i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas")
    except (ImportError, StopIteration):
        return "not OpenBLAS"
    try:
        flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        flags = ""
    cpu = "the CPU has AVX-512" if " avx512f " in f"{flags} " else "the CPU has no AVX-512"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    chosen = f"set by OPENBLAS_CORETYPE={forced} in the environment" if forced else "OpenBLAS's own pick"
    return f"{kernels} ({chosen}; {cpu})"


def cpu_seconds() -> tuple[float, float]:
    """(CPU seconds all processes have used on this machine, CPU seconds this run has used: this process and its
    children, reaped ones included, since all of them are reaped before the run ends), from /proc/stat and
    os.times(). Their differences over the run count every other process, short-lived ones too (a test suite's)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        total = sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7)) / os.sysconf("SC_CLK_TCK")  # busy, steal included
    except (OSError, ValueError, IndexError):
        total = float("nan")
    t = os.times()
    return total, t.user + t.system + t.children_user + t.children_system


def other_cpu_seconds(before: tuple[float, float], after: tuple[float, float]) -> float:
    """CPU seconds used between `before` and `after` (two `cpu_seconds()`) by processes outside this run."""
    other = (after[0] - before[0]) - (after[1] - before[1])
    return max(other, 0.0) if other == other else 0.0


def loaded_goals(goals: Goals, what: str, rows: dict[str, Row], busy: int) -> None:
    """Under --busy load: graphflow at or below the fastest of PyTorch eager, TF-1 and JAX, and at most 1.5x its own
    idle time."""
    gf = rows.get("graphflow")
    best = fastest(rows, STEP_PEERS, busy=True)
    rr = ratio(gf.busy_median if gf else None, best.busy_median if best else None)
    goals.add(
        f"{what} with {busy} busy: graphflow / fastest peer",
        rr,
        "≤ 1.0",
        None if rr is None else rr <= 1.0,
        f"fastest: {best.label}, {fmt_time(best.busy_median)}" if best else "no peer timed",
    )
    rr = ratio(gf.busy_median, gf.median) if gf else None
    goals.add(f"{what} with {busy} busy: graphflow loaded / idle", rr, "≤ 1.5", None if rr is None else rr <= 1.5)


def write_report(path: Path, args, meta: dict, results: dict) -> str:
    q = args.quick
    goals = Goals()
    lines: list[str] = []
    add = lines.append
    add("# graphflow benchmarks")
    add("")
    add(
        f"Written by `{meta['command']}` on {meta['date']} in {meta['wall']:.0f} s"
        + (" (**quick smoke run**: tiny repeat counts, a data subset, no peers; not for comparing)" if q else "")
        + "."
    )
    add("")
    add("## Machine and versions")
    add("")
    m = meta["machine"]
    add("| | |")
    add("|---|---|")
    add(f"| CPU | {m['cpu']}, {m['cores']} |")
    add(f"| RAM | {m.get('ram', 'unknown')} |")
    add(f"| OS | {m['os']} |")
    add(f"| Python | {m['python']} |")
    add(f"| numpy | {meta['versions'].get('numpy', '?')} ({meta['blas']}) |")
    if meta.get("blas_kernels"):
        add(f"| numpy's BLAS kernels | {meta['blas_kernels']} |")
    for name in ("graphflow", "torch", "tensorflow", "jax"):
        if name in meta["versions"]:
            add(f"| {name} | {meta['versions'][name]} |")
    add(
        f"| threads | {common.THREADS} for every framework (OMP/MKL/OpenBLAS env, torch.set_num_threads, "
        "TF intra/inter op) |"
    )
    add(
        f"| load | load average {meta['load_start']} at the start, {meta['load_end']} at the end; "
        f"other processes used {meta['other_cpu']:.0f} CPU-s during the {meta['wall']:.0f} s run |"
    )
    if meta["busy"]:
        add(
            f"| busy | {meta['busy']} CPU-bound process(es) of this run (pure Python spinning), running only while "
            "the *loaded* columns were timed and stopped (SIGSTOP) otherwise |"
        )
    add("")
    if meta["missing"]:
        add(
            f"**Peers not installed:** {', '.join(LABELS.get(k, k) for k in meta['missing'])} "
            "(`pip install -r benchmarks/requirements.txt` adds them); their rows and goals say so."
        )
        add("")
    if meta["skipped"]:
        add(f"**Peers skipped** in this run: {', '.join(LABELS.get(k, k) for k in meta['skipped'])}.")
        add("")
    if meta["other_cpu"] > 0.1 * meta["wall"]:
        add(
            f"**Note:** other processes used {meta['other_cpu']:.0f} CPU-seconds while this ran "
            f"({100 * meta['other_cpu'] / meta['wall']:.0f}% of one core on average); absolute times are noisier, "
            "ratios less so since frameworks alternate."
        )
        add("")
    body: list[str] = []
    b = body.append

    # 1. training step
    if "mlp" in results:
        r = results["mlp"]
        b("## 1. Training step: 784-256-10 ReLU MLP, softmax cross-entropy, Adam (lr 1e-3), float32")
        b("")
        b(
            "Time per step with the data in memory: one `sess.run(train_op, feed_dict)` for graphflow and TF, "
            "`zero_grad/backward/step` for PyTorch (the whole step compiled under torch.compile), one jitted "
            "step with Adam for JAX, an in-place forward, backward and Adam for numpy; the floor is the step's five "
            "matrix products alone, in numpy. Every framework starts from the "
            "same weights and takes the same batches, so after the warm-up their weights agree (last column). "
            f"Median over {args.repeats} repeats of "
            f"{', '.join(f'{v} steps (batch {k})' for k, v in r['steps'].items())}, "
            "after 5 warm-up steps."
        )
        b("")
        for batch, rows in r["rows"].items():
            b(f"**Batch {batch}**")
            b("")
            body.extend(timing_table(rows, weights=True))
            b("")
            gf, floor = rows.get("graphflow"), rows.get("numpy-matmuls")
            for peer, target, limit in (("jax", "≤ 1.0", 1.0), ("torch", "≤ 0.7", 0.7), ("tf1", "≤ 0.7", 0.7)):
                row = rows.get(peer)
                rr = ratio(gf.median if gf else None, row.median if row else None)
                if rr is None:
                    note = why_missing(row, "peer skipped")
                else:
                    note = "" if rr <= limit else floor_note(row, limit, floor)
                goals.add(
                    f"1. step, batch {batch}: graphflow / {LABELS[peer]}",
                    rr,
                    target,
                    None if rr is None else rr <= limit,
                    note,
                )
            if meta["busy"]:
                loaded_goals(goals, f"1L. step, batch {batch}", rows, meta["busy"])

    # 7. real workloads (numbered after the original sections, so goal numbers stay stable)
    if "workloads" in results:
        r = results["workloads"]
        b("## 7. Real workloads")
        b("")
        b(
            "Time per training step of networks people train, each written as its framework's users write it "
            "(graphflow and TF-1: a graph, a session, `sess.run(train_op, feed_dict)`; PyTorch: nn modules and "
            "torch.optim; JAX: one jitted step with the optimizer written out), from the same initial weights on "
            f"the same batches, float32. Median over {args.repeats} repeats of "
            f"{', '.join(f'{v} steps ({k})' for k, v in r['steps'].items())}, after 3 warm-up steps."
            + (
                f" *Loaded*: the same, with {meta['busy']} CPU-bound process(es) running, timed in alternation with "
                "the idle blocks."
                if meta["busy"]
                else ""
            )
        )
        b("")
        for name, rows in r["rows"].items():
            b(f"**{common.WORKLOAD_TITLES[name]}**")
            b("")
            body.extend(timing_table(rows))
            b("")
            gf, tf, jx = rows.get("graphflow"), rows.get("tf1"), rows.get("jax")
            for busy in [False, True] if meta["busy"] else [False]:
                pick = (lambda row: row.busy_median) if busy else (lambda row: row.median)
                rr = ratio(pick(gf) if gf else None, pick(tf) if tf else None)
                jr = ratio(pick(gf) if gf else None, pick(jx) if jx else None)
                note = f"graphflow / JAX jit: {jr:.2f}" if jr is not None else why_missing(jx, "JAX skipped")
                if rr is None:
                    note = why_missing(tf, "peer skipped")
                goals.add(
                    f"7. {name}, {'loaded' if busy else 'idle'}: graphflow / TF-1",
                    rr,
                    "≤ 1.0",
                    None if rr is None else rr <= 1.0,
                    note,
                )

    # 2. tutorial
    if "tutorial" in results:
        r = results["tutorial"]
        b("## 2. The tutorial's full-batch iteration: 784-50-10 sigmoid, squared error, gradient descent")
        b("")
        b(
            f"One iteration over {r['images']:,} images: graphflow runs the tutorial preset of examples/mnist_mlp.py "
            "(`GradientDescentOptimizer(0.5).minimize`, one `sess.run` per iteration); numpy is the same equations "
            "with preallocated buffers and in-place ufuncs; the floor is the iteration's five matrix products alone. "
            f"Median over {args.repeats} repeats of {r['n']} iterations, after one warm-up iteration."
        )
        b("")
        for dtype, rows in r["rows"].items():
            b(f"**{dtype}**")
            b("")
            body.extend(timing_table(rows, weights=True))
            b("")
            gf, np_row, floor = rows.get("graphflow"), rows.get("numpy"), rows.get("numpy-matmuls")
            rr = ratio(gf.median if gf else None, np_row.median if np_row else None)
            note = ""
            if floor and floor.median and np_row and np_row.median:
                note = f"numpy itself is {np_row.median / floor.median:.2f}x the matmul floor"
            goals.add(
                f"2. tutorial iteration, {dtype}: graphflow / in-place numpy",
                rr,
                "≤ 1.05",
                None if rr is None else rr <= 1.05,
                note,
            )

    # 3. accuracy
    if "accuracy" in results:
        r = results["accuracy"]
        cfg = r["cfg"]
        b(f"## 3. Time to {cfg['target']:.1%} MNIST test accuracy (network of section 1, batch {cfg['batch']}, Adam)")
        b("")
        b(
            f"Training time only (evaluation excluded), evaluating the test accuracy every {cfg['eval_every']} steps, "
            f"at most {cfg['max_steps']} steps; same initial weights and batch order (reshuffled each epoch, the last "
            "partial batch dropped) for every framework; compiling and 3 warm-up steps happen before the clock "
            "starts. "
            f"Median over {r['repeats']} runs."
            + (f" Quick run: {cfg['subset']} training and {cfg['test_subset']} test images." if q else "")
        )
        b("")
        rows = r["rows"]
        gf = rows.get("graphflow")
        b("| framework | median time | min – max | steps | accuracy reached | graphflow / this |")
        b("|---|---|---|---|---|---|")
        best_peer: tuple[float, str] | None = None
        for key, row in rows.items():
            if not row.samples:
                b(f"| {row.label} | {status_cell(row)} | | | | |")
                continue
            last = row.extra[-1]
            reached = all(e.get("reached") for e in row.extra)
            acc = f"{last['accuracy']:.2%}" + ("" if reached else " (target not reached)")
            b(
                f"| {row.label} | {fmt_time(row.median)} | {fmt_range(row.samples)} | {last['steps']} | {acc} | "
                f"{fmt_ratio(ratio(gf.median if gf else None, row.median))} |"
            )
            if key != "graphflow" and reached and (best_peer is None or row.median < best_peer[0]):
                best_peer = (row.median, row.label)
        b("")
        gf_reached = gf is not None and gf.samples and all(e.get("reached") for e in gf.extra)
        if best_peer is None or not gf_reached:
            goals.add(
                "3. time to 97.5%: graphflow / fastest peer",
                None,
                "≤ 1.0",
                None,
                "target not reached in this run" + (" (quick run)" if q else ""),
            )
        else:
            rr = ratio(gf.median, best_peer[0])
            goals.add("3. time to 97.5%: graphflow / fastest peer", rr, "≤ 1.0", rr <= 1.0, f"fastest: {best_peer[1]}")

    # 4. overhead
    if "overhead" in results:
        r = results["overhead"]
        b("## 4. Framework overhead")
        b("")
        b(
            f"**A chain of {r['iterations']:,} `x = x * 1.0001 + 0.0001` on a (10,) float32 vector** "
            f"({2 * r['iterations']:,} small ops): one `Session.run` of the whole chain for graphflow and TF, the same "
            f"{2 * r['iterations']:,} bare calls for numpy and PyTorch eager, one compiled function for torch.compile "
            "and JAX. Time per run of the chain."
        )
        b("")
        body.extend(timing_table(r["chain"]))
        b("")
        b(
            "**Fixed cost of one run with two feeds:** `sess.run(a + b, {a: .., b: ..})` on (10,) vectors for "
            "graphflow and TF; one `np.add(a, b)` for numpy; `a + b` in PyTorch eager; a compiled/jitted `a + b` "
            "for torch.compile and JAX. Time per call."
        )
        b("")
        body.extend(timing_table(r["fixed"]))
        b("")
        b(
            "**First run of a 10,000-node graph** (a chain as above with its constants, built before the clock "
            "starts): the first `Session.run` of a new session (graphflow: plan compile + one execution; TF: graph "
            "pruning, optimisation and one execution), the first call of a new jitted / compiled function (tracing "
            "and XLA or "
            f"Inductor compilation). Median over {r['first_repeats']} runs (torch.compile: one run, it takes about "
            "a minute)."
        )
        b("")
        body.extend(timing_table(r["first"]))
        b("")
        chain, fixed, first = r["chain"], r["fixed"], r["first"]
        gf, npr = chain.get("graphflow"), chain.get("numpy")
        rr = ratio(gf.median if gf else None, npr.median if npr else None)
        goals.add(
            f"4. chain of {2 * r['iterations']:,} ops: graphflow / bare numpy",
            rr,
            "≤ 1.5",
            None if rr is None else rr <= 1.5,
        )
        gf, tf = fixed.get("graphflow"), fixed.get("tf1")
        rr = ratio(gf.median if gf else None, tf.median if tf else None)
        goals.add(
            "4. Session.run fixed cost: graphflow / TF-1",
            rr,
            "≤ 0.1",
            None if rr is None else rr <= 0.1,
            "" if rr is not None else why_missing(tf, "peer skipped"),
        )
        gf = first.get("graphflow")
        goals.add(
            "4. first run of a 10,000-node graph (s)",
            gf.median if gf else None,
            "< 0.5 s",
            None if not gf or gf.median is None else gf.median < 0.5,
        )

    # 5. memory
    if "memory" in results:
        r = results["memory"]
        b("## 5. Peak memory of the tutorial (784-50-10, full batch)")
        b("")
        b(
            f"Each measurement is a fresh process that loads {r['images']:,} images, builds the network and runs "
            f"{r['iterations']} iterations. *Peak RSS* is the process's high-water resident set during training "
            "(the kernel's peak is reset once the data is loaded; interpreter, libraries and data included); *RSS "
            "before training* is the RSS at that point; *allocated during training* is tracemalloc's peak over the "
            "iterations (numpy's buffers: the framework's working set beyond the data), measured in a second process "
            "because tracing slows it down."
        )
        b("")
        b(
            "| dtype | framework | peak RSS | RSS before training | peak − before | allocated during training | "
            "graphflow / this (peak RSS) |"
        )
        b("|---|---|---|---|---|---|---|")
        for dtype, entries in r["rows"].items():
            gf_peak = entries.get("graphflow", {}).get("rss")
            gf_peak = gf_peak.get("peak_rss_mib") if isinstance(gf_peak, dict) else None
            for key, e in entries.items():
                rss, traced = e["rss"], e["traced"]
                if not isinstance(rss, dict):
                    b(f"| {dtype} | {LABELS[key]} | {rss} | | | | |")
                    continue
                tr = f"{traced['traced_peak_mib']:.0f} MiB" if isinstance(traced, dict) else "–"
                b(
                    f"| {dtype} | {LABELS[key]} | {rss['peak_rss_mib']:.0f} MiB | {rss['baseline_rss_mib']:.0f} MiB | "
                    f"{rss['peak_rss_mib'] - rss['baseline_rss_mib']:.0f} MiB | {tr} | "
                    f"{fmt_ratio(ratio(gf_peak, rss['peak_rss_mib']))} |"
                )
            npr = entries.get("numpy", {}).get("rss")
            gft = entries.get("graphflow", {}).get("traced")
            npt = entries.get("numpy", {}).get("traced")
            rr = ratio(gf_peak, npr.get("peak_rss_mib") if isinstance(npr, dict) else None)
            note = ""
            if isinstance(gft, dict) and isinstance(npt, dict) and npt["traced_peak_mib"]:
                note = f"working set {gft['traced_peak_mib'] / npt['traced_peak_mib']:.1f}x numpy's"
            goals.add(
                f"5. peak memory, tutorial {dtype}: graphflow / numpy",
                rr,
                "≤ 1.2",
                None if rr is None else rr <= 1.2,
                note,
            )
        b("")

    # 6. compile
    if "compile" in results:
        r = results["compile"]
        b("## 6. Plan compile time by graph size")
        b("")
        b(
            "A chain graph of N nodes (`x * 1.0001 + 0.0001` repeated: 2 ops and 2 constants each). *Build* is "
            "creating the nodes; *first run* is a new session's first `run` (compile + execute); *second run* "
            "executes the cached plan; *compile* = first − second. Should grow linearly: the per-node column should "
            f"stay flat. Median over {r['repeats']} runs."
        )
        b("")
        b("| nodes | build | first run | second run | compile (first − second) | compile per node |")
        b("|---|---|---|---|---|---|")
        for nodes, row in r["rows"].items():
            if not row.samples:
                b(f"| {nodes:,} | {status_cell(row)} | | | | |")
                continue
            second = statistics.median(e["second_seconds"] for e in row.extra)
            build = statistics.median(e["build_seconds"] for e in row.extra)
            nodes_built = row.extra[-1].get("nodes", nodes)
            comp = row.median - second
            b(
                f"| {nodes_built:,} | {fmt_time(build)} | "
                f"{fmt_time(row.median)} | "
                f"{fmt_time(second)} | {fmt_time(comp)} | {fmt_time(comp / nodes_built)} |"
            )
        b("")

    add("## Performance goals")
    add("")
    add("| goal | measured | target | status |")
    add("|---|---|---|---|")
    for goal, value, target, status in goals.lines:
        add(f"| {goal} | {value} | {target} | {status} |")
    add("")
    lines.extend(body)
    add("---")
    add(
        "How to read this: every time is a median over repeats, with the fastest and slowest repeat beside it; "
        "*graphflow / this* divides graphflow's median by the row's (below 1: graphflow is faster). See "
        "benchmarks/README.md for what each row measures."
    )
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


# --------------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="seconds-long smoke run: tiny counts, a data subset, no peers"
    )
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (default 7; 2 with --quick)")
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument(
        "--frameworks", help=f"comma-separated frameworks to run (default: all of {', '.join(FRAMEWORKS)})"
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="markdown file to write")
    parser.add_argument("--json", type=Path, help="also write the raw measurements as JSON")
    parser.add_argument("--pause", type=float, help="seconds to sleep before each timed block (default 0.1; 0 quick)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--busy",
        type=int,
        default=0,
        metavar="N",
        help="also time the training steps and workloads with N CPU-bound processes of this run's own running",
    )
    parser.add_argument(
        "--busy-limit", type=float, default=7200, help="seconds after which the busy processes exit by themselves"
    )
    args = parser.parse_args(argv)
    if args.busy < 0:
        parser.error(f"--busy takes a number of processes >= 0, got {args.busy}")
    if args.repeats is None:
        args.repeats = 2 if args.quick else 7
    if args.pause is None:
        args.pause = 0.0 if args.quick else 0.1
    args.sections = SECTIONS if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    if args.frameworks:
        args.framework_list = [f.strip() for f in args.frameworks.split(",") if f.strip()]
        bad = set(args.framework_list) - set(FRAMEWORKS)
        if bad:
            parser.error(f"unknown framework(s) {', '.join(sorted(bad))}; choose from {', '.join(FRAMEWORKS)}")
    else:
        args.framework_list = ["graphflow", "numpy"] if args.quick else list(FRAMEWORKS)
    for needed in ("graphflow", "numpy"):
        if needed not in args.framework_list:
            args.framework_list.insert(0, needed)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(common.THREAD_ENV)
    started = time.perf_counter()
    cpu_before = cpu_seconds()
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    log_dir = Path(tempfile.mkdtemp(prefix="graphflow-bench-logs-"))
    # SIGTERM unwinds like Ctrl-C, so the `finally` below stops the busy processes and the workers either way.
    signal.signal(signal.SIGTERM, _interrupted)
    load = BusyLoad(args.busy, args.busy_limit).start()
    load.pause()  # running only while loaded blocks are timed
    try:
        pool = Pool(args.framework_list, log_dir)
    except BaseException:
        load.stop()
        raise
    frameworks = [f for f in args.framework_list if f not in pool.missing]
    bench = Bench(args, pool, frameworks, load)
    sections = {
        "mlp": section_mlp,
        "workloads": section_workloads,
        "tutorial": section_tutorial,
        "accuracy": section_accuracy,
        "overhead": section_overhead,
        "memory": section_memory,
        "compile": section_compile,
    }
    results = {}
    try:
        for name in args.sections:
            bench.log(f"{name} ...")
            results[name] = sections[name](bench, args.quick)
    finally:
        load.stop()
        pool.close()
        shutil.rmtree(bench.tmp, ignore_errors=True)
    wall = time.perf_counter() - started
    missing = [k for k in PEERS if k in pool.missing]
    meta = {
        "command": "python benchmarks/run.py"
        + "".join(f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:])),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "wall": wall,
        "machine": machine_info(),
        "blas": blas_info(),
        "blas_kernels": blas_kernels(),
        "versions": pool.versions,
        "missing": missing,
        "skipped": [k for k in PEERS if k not in args.framework_list],
        "load_start": load_start,
        "load_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "busy": args.busy,
        "other_cpu": other_cpu_seconds(cpu_before, cpu_seconds()),
    }
    text = write_report(args.out, args, meta, results)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, default=_jsonable, indent=1))
    if not args.quiet:
        print(text)
    for name, reason in pool.missing.items():
        bench.log(f"note: {name} not available: {reason}")
    bench.log(f"wrote {args.out} in {wall:.0f} s (worker logs in {log_dir})")
    return 0


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _jsonable(value):
    if isinstance(value, Row):
        return {
            "key": value.key,
            "samples": value.samples,
            "extra": value.extra,
            "busy_extra": value.busy_extra,
            "info": value.info,
            "error": value.error,
            "weight_diff": value.weight_diff,
            "busy_samples": value.busy_samples,
        }
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
