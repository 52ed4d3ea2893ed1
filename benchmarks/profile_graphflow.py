"""Where graphflow's time goes: the Adam training step of section 1 and the fixed cost of one Session.run.

    python benchmarks/profile_graphflow.py [--batches 32 128] [--steps 300] [--top 25] [--pyinstrument]

For each batch size it prints the train plan's size (steps by op function), the time per `sess.run`, the time of
the same steps called back to back on the same inputs (the numpy work), the difference (the session's overhead, in
total and per plan step), the numpy time by op function, and cProfile's top functions. Then the same for
`sess.run(a + b, {a: .., b: ..})`. With --pyinstrument (if installed) it also prints pyinstrument's call tree.
The plan replay reads the plan's declarative `steps` (graphflow/plan/steps.py) for names and its `program` for the
functions the run loop calls; if the plan's layout changes, that part says so and the rest still runs.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import common  # noqa: E402

os.environ.update({k: v for k, v in common.THREAD_ENV.items() if k not in os.environ})

import numpy as np  # noqa: E402
from fw_graphflow import StepRunner  # noqa: E402

import graphflow as gf  # noqa: E402


def biggest_plan(sess: gf.Session):
    return max(sess._plans.values(), key=lambda p: len(p.steps))


def step_name(step) -> str:
    """A readable name for a plan step: its function, and where it writes its result."""
    name = getattr(step.fn, "__name__", None) or type(step.fn).__name__
    if step.into is not None:
        return f"{name} (into input {step.into})"
    return f"{name} (recycles)" if step.recycle else name


def replay(plan, sess: gf.Session, feeds: list, repeats: int) -> tuple[float, dict[str, float], list] | None:
    """Calls the plan's step functions on one run's inputs, `repeats` times: the numpy work without the session.

    Every call gets fresh copies of its array inputs (copied outside the clock), so steps that write into an input
    see the same values each time and never touch the session's arrays.
    """
    try:
        env = plan.template.copy()
        for s, var in plan.variables:
            env[s] = sess._values.get(var)
        for (s, *_), value in zip(plan.feeds, feeds, strict=True):
            env[s] = value  # update buffers stay None: the updates allocate, as they do in a first run
        calls = []
        for step, (fn, args, attrs, out, _free) in zip(plan.steps, plan.program, strict=True):
            inputs = [a.copy() if isinstance(a, np.ndarray) else a for a in (env[s] for s in args)]
            env[out] = fn(*_fresh(inputs), **attrs)
            calls.append((fn, step_name(step), inputs, attrs, env[out]))
    except Exception as e:  # the plan's layout changed
        print(f"  (plan replay unavailable: {type(e).__name__}: {e})")
        return None
    # Per call, the median over the repeats: robust to the odd slow repeat when something else wakes up.
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for i, (fn, _name, inputs, attrs, _out) in enumerate(calls):
            fresh = _fresh(inputs)
            t0 = time.perf_counter()
            fn(*fresh, **attrs)
            samples[i].append(time.perf_counter() - t0)
    by_fn: dict[str, float] = defaultdict(float)
    for (_, name, _, _, _), times in zip(calls, samples, strict=True):
        by_fn[name] += statistics.median(times)
    return sum(by_fn.values()), dict(by_fn), [c[4] for c in calls]


def executor_only(runner: StepRunner, plan, outputs: list, steps: int) -> float | None:
    """Time per sess.run when each step only returns its stored output: the session's own cost, nothing of numpy's.

    Runs last, as it leaves the session's variables at the stored values.
    """
    saved = plan.program
    try:
        plan.program = [
            (functools.partial(_stored, value), args, attrs, out, free)
            for value, (_fn, args, attrs, out, free) in zip(outputs, saved, strict=True)
        ]
        runner.run(steps)
        return statistics.median(runner.run(steps)["seconds"] for _ in range(5)) / steps
    except Exception as e:  # the plan's layout changed
        print(f"  (executor-only timing unavailable: {type(e).__name__}: {e})")
        return None
    finally:
        plan.program = saved


def _stored(value, *args, **kwargs):
    return value


def _fresh(inputs: list) -> list:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]


def cprofile(fn, top: int, label: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt
    print(f"\n  cProfile, {label} (total {total * 1e3:.0f} ms; tottime = in the function itself):")
    print(f"  {'tottime':>9} {'share':>6} {'calls':>9}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (filename, line, name), (_cc, ncalls, tottime, _cum, _callers) in rows:
        where = filename.replace(str(common.REPO) + "/", "")
        if "site-packages" in where or where.startswith("/"):
            where = "~/" + where.rsplit("/", 2)[-2] + "/" + where.rsplit("/", 1)[-1] if "/" in where else where
        print(f"  {tottime * 1e3:8.1f}ms {100 * tottime / total:5.1f}% {ncalls:9d}  {name} ({where}:{line})")


def profile_step(batch: int, steps: int, top: int, use_pyinstrument: bool) -> None:
    print(f"\n=== Adam training step, batch {batch} ===")
    runner = StepRunner(batch)
    sess, net = runner.sess, runner.net
    try:
        plan = biggest_plan(sess)
        counts = Counter(step_name(step) for step in plan.steps)
        print(
            f"  train plan: {len(plan.steps)} steps, {len(plan.nodes)} slots; by function: {dict(counts.most_common())}"
        )
    except (AttributeError, TypeError, IndexError, ValueError) as e:  # the session's internals changed
        plan, counts = None, Counter()
        print(f"  (train plan unavailable: {type(e).__name__}: {e})")
    for _ in range(3):
        runner.run(steps)
    per_run = statistics.median(runner.run(steps)["seconds"] for _ in range(5)) / steps
    xb, yb = runner.batches[0]
    rep = None
    if plan is not None:
        rep = replay(plan, sess, [xb, yb] if plan.feeds[0][1] is net["x"] else [yb, xb], steps)
    print(f"  sess.run: {per_run * 1e6:.0f} µs per step (median of 5 blocks of {steps})")
    if rep is not None:
        ops, by_fn, _ = rep
        overhead = per_run - ops
        print(f"  step functions alone (replayed, median per step): {ops * 1e6:.0f} µs ({100 * ops / per_run:.0f}%)")
        print(
            f"  session overhead: {overhead * 1e6:.0f} µs per run ({100 * overhead / per_run:.0f}%), "
            f"{overhead * 1e6 / len(plan.steps):.2f} µs per plan step"
        )
        print("  numpy time by step function:")
        for name, t in sorted(by_fn.items(), key=lambda kv: -kv[1]):
            print(f"    {t * 1e6:8.1f} µs {100 * t / ops:5.1f}%  {name} x{counts.get(name, 0)}")
    cprofile(lambda: runner.run(steps), top, f"{steps} steps")
    if rep is not None:
        bare = executor_only(runner, plan, rep[2], steps)
        if bare is not None:
            print(
                f"\n  sess.run with every step function replaced by one returning a stored result: {bare * 1e6:.0f} µs "
                f"per run, {bare * 1e6 / len(plan.steps):.2f} µs per plan step (the executor, feeds and commits alone)"
            )
    if use_pyinstrument:
        try:
            from pyinstrument import Profiler
        except ImportError:
            print("  (pyinstrument not installed)")
            return
        profiler = Profiler(interval=0.0001)
        profiler.start()
        runner.run(steps)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def profile_fixed_cost(runs: int, top: int) -> None:
    print("\n=== Session.run fixed cost: sess.run(a + b, {a: .., b: ..}) on (10,) vectors ===")
    graph = gf.Graph()
    with graph.as_default():
        a = gf.placeholder(gf.float32, [10], name="a")
        b = gf.placeholder(gf.float32, [10], name="b")
        z = a + b
    sess = gf.Session(graph=graph)
    va, vb = np.ones(10, np.float32), np.ones(10, np.float32)

    def loop():
        for _ in range(runs):
            sess.run(z, {a: va, b: vb})

    loop()
    best = min(_timed(loop) for _ in range(5)) / runs
    add_alone = min(_timed(lambda: [np.add(va, vb) for _ in range(runs)]) for _ in range(5)) / runs
    print(f"  {best * 1e6:.2f} µs per run (best of 5 x {runs}); the np.add inside costs {add_alone * 1e6:.2f} µs")
    cprofile(loop, top, f"{runs} runs")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20000, help="runs for the fixed-cost profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args(argv)
    for batch in args.batches:
        profile_step(batch, args.steps, args.top, args.pyinstrument)
    profile_fixed_cost(args.runs, args.top)


if __name__ == "__main__":
    main()
