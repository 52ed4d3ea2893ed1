"""Runs the conformance corpus under graphflow or TensorFlow: each script with only its imports changed.

A run copies the script into a fresh folder, rewrites its import lines (`import tensorflow as tf` becomes
`import graphflow as tf`, or `import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()` for TensorFlow; TF-1's
MNIST `input_data` becomes graphflow's, which reads the bundled MNIST, under both frameworks), applies the script's
declared shortening of its step or epoch constants (corpus.SHORTEN) unless `full`, and runs it in a subprocess with a
timeout, the folder as its working directory and matplotlib's windows switched off (plt.show and
waitforbuttonpress return at once). The outcome is the figure the script ends with, or its error.

    python tests/conformance/runner.py                       # every script under graphflow, shortened
    python tests/conformance/runner.py --framework tensorflow aymericdamien/gan
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus

ROOT = corpus.HERE.parents[1]

# (pattern, graphflow's line, TensorFlow's line); patterns match whole import lines
IMPORTS = [
    (r"^(\s*)import tensorflow as tf\s*$", r"\1import graphflow as tf",
     r"\1import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()"),
    (r"^(\s*)from tensorflow\.examples\.tutorials\.mnist import input_data\s*$",
     r"\1from graphflow.examples.tutorials.mnist import input_data",
     r"\1from graphflow.examples.tutorials.mnist import input_data"),
    (r"^(\s*)from tensorflow\.examples\.tutorials\.mnist import mnist\s*$", r"\1import mnist", r"\1import mnist"),
    (r"^(\s*)from tensorflow(\.\S+)? import (.*)$", r"\1from graphflow\2 import \3", r"\1from tensorflow\2 import \3"),
]  # fmt: skip

# Scripts draw no windows: the runs only count what they compute.
NO_WINDOWS = """\
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.figure
plt.show = lambda *a, **k: None
plt.waitforbuttonpress = lambda *a, **k: True
matplotlib.figure.Figure.show = lambda *a, **k: None
"""


def rewrite(source: str, framework: str) -> str:
    """`source` with its TensorFlow import lines pointed at `framework` ("graphflow" or "tensorflow")."""
    column = 1 if framework == "graphflow" else 2
    lines = []
    for line in source.splitlines(keepends=True):
        end = "\n" if line.endswith("\n") else ""
        for rule in IMPORTS:
            if re.match(rule[0], line.rstrip("\n")):
                line = re.sub(rule[0], rule[column], line.rstrip("\n")) + end
                break
        lines.append(line)
    return "".join(lines)


def shorten(name: str, source: str, ci: bool = False) -> str:
    for pattern, replacement in corpus.SHORTEN.get(name, []) + (corpus.CI_SHORTEN.get(name, []) if ci else []):
        source, count = re.subn(pattern, replacement, source)
        if not count:
            raise ValueError(f"{name}: the shortening {pattern!r} matches nothing")
    return source


@dataclass
class Outcome:
    name: str
    framework: str
    ok: bool  # exited with status 0 and printed its metric
    metric: str | None  # the metric's last value
    error: str  # the last line of the error output when not ok
    seconds: float
    output: str

    def describe(self) -> str:
        if self.ok:
            return f"ran, ended with {self.metric}"
        return f"stopped: {self.error}"


def run(name: str, framework: str = "graphflow", *, full: bool = False, ci: bool = False, timeout: float = 600.0,
        python: str = sys.executable) -> Outcome:  # fmt: skip
    """Runs corpus script `name` under `framework` and returns what became of it.

    `full` keeps the script's own constants; `ci` adds corpus.CI_SHORTEN to the usual shortening.
    """
    source = rewrite(corpus.path(name).read_text(), framework)
    if not full:
        source = shorten(name, source, ci)
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        folder = Path(tmp)
        script = folder / Path(name).name
        script.write_text(source)
        for helper in corpus.HELPERS:
            if Path(helper).parent == Path(name).parent:
                (folder / f"{Path(helper).name}.py").write_text(rewrite(corpus.path(helper).read_text(), framework))
        (folder / "sitecustomize.py").write_text(NO_WINDOWS)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TF_USE_LEGACY_KERAS": "1",  # TF-1's tf.layers live in tf_keras under TensorFlow 2
        }
        start = time.perf_counter()
        try:
            done = subprocess.run([python, script.name], cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)  # fmt: skip
            returncode, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as expired:
            returncode, out, err = None, _text(expired.stdout), f"timed out after {timeout:.0f} s"
        seconds = time.perf_counter() - start
    found = re.findall(corpus.METRIC.get(name, corpus.ACCURACY), out, flags=re.MULTILINE)
    ok = returncode == 0 and bool(found)
    error = ""
    if not ok:
        lines = [line for line in (err or "").strip().splitlines() if line.strip()]
        error = lines[-1] if lines else f"exit status {returncode}, no metric printed"
    return Outcome(name, framework, ok, found[-1] if found else None, error, seconds, out)


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="corpus names (default: all), e.g. aymericdamien/gan")
    parser.add_argument("--framework", choices=["graphflow", "tensorflow"], default="graphflow")
    parser.add_argument("--full", action="store_true", help="the scripts' own step and epoch constants")
    parser.add_argument("--ci", action="store_true", help="also the shorter CI runs of corpus.CI_SHORTEN")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    for name in args.names or list(corpus.SOURCES):
        outcome = run(name, args.framework, full=args.full, ci=args.ci, timeout=args.timeout)
        print(f"{name:45s} {outcome.seconds:6.1f} s  {outcome.describe()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
