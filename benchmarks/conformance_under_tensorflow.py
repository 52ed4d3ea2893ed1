"""The conformance corpus (tests/conformance/) under graphflow and under TensorFlow's `compat.v1` as the reference.

Each script runs through tests/conformance/runner.py, which changes only its import lines (for TensorFlow,
`import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()`, with tf_keras behind `tf.layers`) and, unless
`--full`, shortens the step or epoch constants declared for it; both frameworks read the same bundled MNIST through
graphflow's `input_data`. The runs alternate graphflow, TensorFlow, script by script, each in its own process, and
the script's own unseeded initial weights and batch order make their figures vary from run to run. Prints the
Markdown table of tests/conformance/README.md: script, graphflow outcome, TensorFlow outcome, verdict.

    python benchmarks/conformance_under_tensorflow.py                      # every script, shortened
    python benchmarks/conformance_under_tensorflow.py aymericdamien/gan --full
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "conformance"))
import corpus
import runner

# How far apart two final figures may be and still count as the same ending (training noise of unseeded runs).
TOLERANCE = {"accuracy": 0.03, "other": 0.25}


def verdict(name: str, gf: runner.Outcome, tf: runner.Outcome) -> str:
    if gf.ok and tf.ok:
        try:
            a, b = float(gf.metric), float(tf.metric)
        except (TypeError, ValueError):
            return "same" if gf.metric == tf.metric else "differs"
        if name in corpus.METRIC:
            close = abs(a - b) <= TOLERANCE["other"] * max(abs(a), abs(b), 1e-12) or abs(a - b) < 0.02
        else:
            close = abs(a - b) <= TOLERANCE["accuracy"]
        return "same" if close else "differs"
    if not gf.ok and not tf.ok:
        return "both stop"
    return "graphflow stops" if not gf.ok else "TensorFlow stops"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="corpus names (default: all)")
    parser.add_argument("--full", action="store_true", help="the scripts' own step and epoch constants")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--tf-python", default=sys.executable, help="a Python with tensorflow and tf_keras")
    args = parser.parse_args(argv)

    print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"{'full' if args.full else 'shortened'} runs.\n")  # fmt: skip
    print("| script | graphflow | TensorFlow 2.21 compat.v1 | verdict |")
    print("|---|---|---|---|")
    for name in args.names or list(corpus.SOURCES):
        gf = runner.run(name, "graphflow", full=args.full, timeout=args.timeout)
        tf = runner.run(name, "tensorflow", full=args.full, timeout=args.timeout, python=args.tf_python)
        cells = [cell(o) for o in (gf, tf)]
        print(f"| {name} | {cells[0]} | {cells[1]} | {verdict(name, gf, tf)} |", flush=True)
    return 0


def cell(outcome: runner.Outcome) -> str:
    text = outcome.describe().replace("|", "\\|")
    return (text[:140] + "...") if len(text) > 143 else text


if __name__ == "__main__":
    sys.exit(main())
