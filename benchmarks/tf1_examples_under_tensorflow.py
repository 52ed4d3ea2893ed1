"""The examples/tf1 scripts under graphflow and under TensorFlow's `compat.v1`, with the same shortened runs.

For TensorFlow, each script's first import line becomes `import tensorflow.compat.v1 as tf`; nothing else changes
(the MNIST loader stays graphflow's `input_data`, so both read the same files). The runs alternate graphflow,
TensorFlow, graphflow, ... Each run is its own process, so its wall time includes starting Python, importing the
framework and reading MNIST. The scripts draw their initial weights and batch order without a seed, so the
accuracies vary from run to run; the table gives each one's median and range.

    python benchmarks/tf1_examples_under_tensorflow.py                    # 3 runs of each, shortened
    python benchmarks/tf1_examples_under_tensorflow.py --repeats 5 --tf-python /path/to/tf/bin/python
    python benchmarks/tf1_examples_under_tensorflow.py --full --only mnist_softmax    # the scripts' own defaults
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TF1 = ROOT / "examples" / "tf1"
GRAPHFLOW_IMPORT = "import graphflow.compat.v1 as tf\n"
TENSORFLOW_IMPORT = "import tensorflow.compat.v1 as tf\n"

# script -> the shortened run's flags (the tests use the same ones); {tmp} is a fresh folder per run
SHORT = {
    "logistic_regression": ["--epochs", "1"],
    "multilayer_perceptron": ["--epochs", "1"],
    "mnist_softmax": ["--steps", "300"],
    "save_restore_model": ["--first_epochs", "1", "--second_epochs", "1"],
    "layers_shared_weights": ["--num_steps", "300"],
    "tensorboard_basic": ["--epochs", "1"],
}
OUTPUT_FLAGS = {
    "save_restore_model": ["--model_path", "{tmp}/model.ckpt"],
    "tensorboard_basic": ["--logs_path", "{tmp}"],
}


def run_once(python: str, script: Path, args: list[str]) -> tuple[float | None, float, str]:
    """(final accuracy or None, wall seconds, the last lines of output) for one run."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [a.format(tmp=tmp) for a in args]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
        start = time.perf_counter()
        done = subprocess.run([python, str(script), *argv], capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - start
    found = re.findall(r"^Accuracy: ([0-9.]+)$", done.stdout, flags=re.MULTILINE)
    if done.returncode != 0 or not found:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return None, wall, lines[-1] if lines else f"exit status {done.returncode}"
    return float(found[-1]), wall, ""


def summary(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tf-python", default="/work/refenv/bin/python", help="a Python with tensorflow installed")
    parser.add_argument("--gf-python", default=sys.executable, help="a Python with graphflow's dependencies")
    parser.add_argument("--only", default="", help="comma-separated script names (default: all)")
    parser.add_argument("--full", action="store_true", help="the scripts' default (classic) hyper-parameters")
    args = parser.parse_args(argv)

    names = [n for n in SHORT if not args.only or n in args.only.split(",")]
    print(f"| script ({'full' if args.full else 'shortened'} run) | graphflow accuracy | TensorFlow accuracy "
          "| graphflow wall s | TensorFlow wall s |")  # fmt: skip
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tf_script_dir = Path(tmp)
        for name in names:
            source = (TF1 / f"{name}.py").read_text()
            if source.count(GRAPHFLOW_IMPORT) != 1:
                raise SystemExit(f"{name}.py does not import graphflow.compat.v1 as tf exactly once")
            tf_script = tf_script_dir / f"{name}.py"
            tf_script.write_text(source.replace(GRAPHFLOW_IMPORT, TENSORFLOW_IMPORT))
            flags = ([] if args.full else SHORT[name]) + OUTPUT_FLAGS.get(name, [])
            results: dict[str, tuple[list[float], list[float], str]] = {"gf": ([], [], ""), "tf": ([], [], "")}
            for _ in range(args.repeats):
                for key, python, script in [
                    ("gf", args.gf_python, TF1 / f"{name}.py"),
                    ("tf", args.tf_python, tf_script),
                ]:
                    accuracy, wall, error = run_once(python, script, flags)
                    accs, walls, _ = results[key]
                    if accuracy is None:
                        results[key] = (accs, walls, error)
                    else:
                        accs.append(accuracy)
                        walls.append(wall)
            cells = []
            for key in ("gf", "tf"):
                accs, _, error = results[key]
                cells.append(summary(accs, "{:.4f}") if accs else f"failed: {error}")
            cells += [summary(results[k][1], "{:.1f}") for k in ("gf", "tf")]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
