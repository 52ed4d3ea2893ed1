"""Mutation testing with mutmut: how many small changes to the library the test suite notices, module by module.

    python benchmarks/mutate.py                       # every module below; writes the table in docs/mutation.md
    python benchmarks/mutate.py gradients plan        # some modules only (the table keeps the others' rows)
    python benchmarks/mutate.py gradients --sample 8  # 8 random mutants of gradients.py; fails if one survives (CI)
    python benchmarks/mutate.py plan --survivors      # after a run: the surviving mutants' diffs, to write tests for

mutmut (https://github.com/boxed/mutmut) rewrites each function of a module into many mutants (a `<` for a `<=`, a
string or number changed, an argument dropped) and runs, for each, the tests that reach that function. A mutant the
tests pass is a survivor: a bug the suite would let through. Each module runs in its own copy of the tree under
`.mutmut/<module>/` with only the tests that exercise it, so a full run fits on two cores (see docs/mutation.md for
its duration). mutmut leaves alone the functions registered by a decorator (`@defop`, `defgrad` rules): the op
families' forward and gradient rules are checked by tests/test_ops.py against numpy and finite differences instead.

Survivors judged equivalent (no test could tell them apart from the original) are listed, with the reason, in
`benchmarks/mutation_equivalent.txt`; the score counts them neither as killed nor as survived.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import machine_info

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutmut"
TABLE = ROOT / "docs" / "mutation.md"
EQUIVALENT = ROOT / "benchmarks" / "mutation_equivalent.txt"

# module: (the files mutmut mutates, the tests that exercise them)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "gradients": (
        ["graphflow/gradients.py"],
        ["tests/test_engine.py", "tests/test_errors.py", "tests/test_control_flow.py"],
    ),
    "plan": (
        ["graphflow/plan/*"],
        [
            "tests/test_plan.py",
            "tests/test_session.py",
            "tests/test_control_flow.py",
            "tests/test_fused_updates.py",
            "tests/test_reliability.py",
            "tests/test_errors.py",
        ],
    ),
    "train": (
        [f"graphflow/train/{name}.py" for name in ("optimizer", "adam", "rmsprop", "momentum", "adagrad")]
        + ["graphflow/train/learning_rate.py", "graphflow/train/moving_averages.py"],
        ["tests/test_train.py", "tests/test_fused_updates.py", "tests/test_batch_norm.py"],
    ),
    "checkpoint": (
        ["graphflow/train/checkpoint.py", "graphflow/train/saver.py", "graphflow/train/checkpoint_state.py"],
        ["tests/test_saver.py", "tests/test_reliability.py"],
    ),
    "initializers": (["graphflow/initializers.py"], ["tests/test_initializers.py", "tests/test_variable_scope.py"]),
    "datasets": (["graphflow/datasets/*"], ["tests/test_mnist_data.py"]),
    "ops": (["graphflow/ops/*"], ["tests/test_ops.py", "tests/test_errors.py"]),
}
# Tests that mutmut's rewritten copies would fail for reasons of their own (the source files' length and imports).
SOURCE_TESTS = [
    "tests/test_plan.py::test_no_module_of_graphflow_is_over_400_lines",
    "tests/test_plan.py::test_graphflow_has_no_import_cycle",
    # execute.numeric_warning finds the run loop's frame by its code object, which mutmut's trampolines replace.
    "tests/test_plan.py::test_a_numeric_warning_names_the_op_where_it_was_built_and_points_at_the_line_that_ran_the_session",
]
PYTEST_ARGS = ["-p", "no:cacheprovider", "-x", "-q", "-m", "not slow"] + [f"--deselect={t}" for t in SOURCE_TESTS]
STATUSES = ["killed", "survived", "timeout", "no tests", "suspicious", "skipped", "segfault", "not checked"]


def mutmut() -> str:
    found = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or shutil.which("mutmut")
    if found is None:
        sys.exit("mutmut is not installed: pip install -e '.[dev]' (it is in the dev extra)")
    return found


def prepare(module: str, fresh: bool) -> Path:
    """A copy of the tree for `module`, with a pyproject.toml whose [tool.mutmut] names its files and tests."""
    files, tests = MODULES[module]
    work = WORK / module
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("graphflow", "tests"):
        if (work / name).exists():
            shutil.rmtree(work / name)
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copy(ROOT / "setup.cfg", work / "setup.cfg")
    config = (ROOT / "pyproject.toml").read_text()
    config = config.split("[tool.mutmut]")[0].rstrip() + "\n"
    config += (
        "\n[tool.mutmut]\n"
        'source_paths = ["graphflow"]\n'
        f"only_mutate = {json.dumps(files)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        f"pytest_add_cli_args = {json.dumps(PYTEST_ARGS)}\n"
    )
    (work / "pyproject.toml").write_text(config)
    return work


def run_mutmut(work: Path, names: list[str], children: int) -> None:
    # PYTHONPATH would put the unmutated tree ahead of mutmut's copy.
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH="")
    command = [mutmut(), "run", "--max-children", str(children), *names]
    with open(work / "run.log", "w") as log:
        subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)


def results(work: Path) -> dict[str, str]:
    """mutant name -> status, from mutmut's own report."""
    out = subprocess.run(
        [mutmut(), "results", "--all", "true"], cwd=work, capture_output=True, text=True, env=dict(os.environ)
    ).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and status in STATUSES:
            found[name] = status
    return found


def generated(work: Path) -> list[str]:
    """Every mutant mutmut made in `work` (from its .meta files)."""
    names = []
    for meta in (work / "mutants").rglob("*.py.meta"):
        names += json.loads(meta.read_text())["exit_code_by_key"]
    return sorted(names)


def equivalent() -> dict[str, str]:
    """mutant name -> why it cannot be told apart from the original."""
    listed = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, why = line.partition(" ")
                listed[name] = why.strip()
    return listed


def score(statuses: dict[str, str]) -> dict[str, float | int]:
    same = equivalent()
    count = {s: 0 for s in STATUSES}
    count["equivalent"] = 0
    for name, status in statuses.items():
        count["equivalent" if status == "survived" and name in same else status] += 1
    judged = count["killed"] + count["timeout"] + count["survived"]
    count["total"] = len(statuses)
    count["score"] = 100.0 * (count["killed"] + count["timeout"]) / judged if judged else 0.0
    return count


def sample(module: str, n: int, seed: int | None, children: int) -> int:
    """Runs `n` random mutants of `module`; returns how many survived."""
    work = prepare(module, fresh=False)
    if not generated(work):  # mutmut makes the mutants (and maps tests to functions) on its first run
        first = MODULES[module][0][0].removesuffix(".py").replace("/", ".")
        run_mutmut(work, [f"{first}.*__mutmut_1"], children)
    names = generated(work)
    if not names:
        sys.exit(f"mutmut made no mutants for {module}; see {work / 'run.log'}")
    chosen = random.Random(seed).sample(names, min(n, len(names)))
    start = time.perf_counter()
    run_mutmut(work, chosen, children)
    status = results(work)
    same = equivalent()
    survivors = [m for m in chosen if status.get(m) == "survived" and m not in same]
    for m in chosen:
        print(f"{status.get(m, 'not checked'):>12}  {m}")
    print(
        f"{len(chosen) - len(survivors)} of {len(chosen)} sampled mutants killed in {time.perf_counter() - start:.0f} s"
    )
    for m in survivors:
        print(show(work, m))
    return len(survivors)


def show(work: Path, name: str) -> str:
    return subprocess.run([mutmut(), "show", name], cwd=work, capture_output=True, text=True).stdout


def write_table(rows: dict[str, dict]) -> None:
    """Replaces the rows of the modules just run in docs/mutation.md's generated table."""
    begin, end = "<!-- mutation table: begin -->", "<!-- mutation table: end -->"
    text = TABLE.read_text() if TABLE.exists() else f"# Mutation testing\n\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    old, _, tail = rest.partition(end)
    kept = {}
    for line in old.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 8 and cells[0].strip("`") in MODULES:
            kept[cells[0].strip("`")] = line
    for module, r in rows.items():
        files = ", ".join(f"`{f.removeprefix('graphflow/')}`" for f in MODULES[module][0])
        kept[module] = (
            f"| `{module}` | {r['total']} | {r['killed']} | {r['survived']} | {r['equivalent']} | {r['timeout']} "
            f"| {r['no tests']} | **{r['score']:.1f}%** | {r['minutes']:.0f} min | {r['date']}, {r['machine']} "
            f"| {files} |"
        )
    header = (
        "| module | mutants | killed | survived | equivalent | timeout | no tests | killed / non-equivalent "
        "| run time | run on | files |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [kept[m] for m in MODULES if m in kept]
    TABLE.write_text(f"{head}{begin}\n{header}\n" + "\n".join(lines) + f"\n{end}{tail}")


def machine() -> str:
    info = machine_info()
    return f"{info['cpu']}, {info['cores']} cores, Python {platform.python_version()}, mutmut {mutmut_version()}"


def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--sample", type=int, help="run this many random mutants only; exit 1 if one survives")
    parser.add_argument("--seed", type=int, help="the sample's seed (default: a new one each run)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--survivors", action="store_true", help="print the last run's survivors and their diffs")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results (default: mutmut reuses them)")
    parser.add_argument("--report", action="store_true", help="write the table from the last runs, running nothing")
    parser.add_argument(
        "--rerun-survivors", action="store_true", help="after writing tests: run the last run's survivors again"
    )
    args = parser.parse_args()
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown modules {sorted(unknown)}; choose from {', '.join(MODULES)}")
    modules = args.modules or list(MODULES)

    if args.sample:
        return 1 if sum(sample(m, args.sample, args.seed, args.max_children) for m in modules) else 0
    if args.survivors:
        same = equivalent()
        for module in modules:
            for name, status in results(WORK / module).items():
                if status == "survived" and name not in same:
                    print(show(WORK / module, name))
        return 0

    rows = {}
    for module in modules:
        work = WORK / module
        if args.rerun_survivors:
            survivors = [name for name, status in results(work).items() if status == "survived"]
            if survivors:
                run_mutmut(prepare(module, fresh=False), survivors, args.max_children)
        elif not args.report:
            start = time.perf_counter()
            work = prepare(module, args.fresh)
            run_mutmut(work, [], args.max_children)
            run = {"minutes": (time.perf_counter() - start) / 60, "date": datetime.date.today().isoformat()}
            (work / "run.json").write_text(json.dumps({**run, "machine": machine()}))
        if not (work / "run.json").exists():
            print(f"{module}: not run yet")
            continue
        row = score(results(work)) | json.loads((work / "run.json").read_text())
        rows[module] = row
        print(
            f"{module}: {row['killed']} killed, {row['survived']} survived, {row['equivalent']} equivalent, "
            f"{row['timeout']} timeout, {row['no tests']} without tests: {row['score']:.1f}%",
            flush=True,
        )
        write_table({module: row})
    print(f"wrote {TABLE.relative_to(ROOT)} ({machine()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
