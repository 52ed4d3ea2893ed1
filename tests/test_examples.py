"""The example scripts run headless end to end and reach their documented results."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def assert_png(path: Path) -> None:
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_xor_reaches_full_training_accuracy(tmp_path):
    result = load_example("xor").main(["--quiet", "--out", str(tmp_path)])
    assert result["accuracy"] == 1.0
    assert result["loss"] < 1.0
    assert_png(tmp_path / "decision_boundary.png")


def test_xor_default_data_has_every_point_in_its_own_quadrant():
    from graphflow.datasets import xor

    points, labels = xor.xor()
    assert points.shape == (100, 2)
    assert sorted(set(labels.tolist())) == [xor.RED, xor.BLUE]
    assert xor.in_own_quadrant(points, labels).all()


def test_perceptron_separates_the_linear_clusters(tmp_path, capsys):
    result = load_example("perceptron").main(["--out", str(tmp_path)])
    assert result["accuracy"] == 1.0
    assert_png(tmp_path / "decision_boundary.png")
    assert "perceptron: 100 steps" in capsys.readouterr().out


@pytest.mark.parametrize("steps", [0, 5])
def test_xor_steps_flag_is_honoured(tmp_path, capsys, steps):
    load_example("xor").main(["--steps", str(steps), "--out", str(tmp_path)])
    assert f"xor: {steps} steps" in capsys.readouterr().out


def test_xor_with_a_huge_learning_rate_says_why_it_is_stuck(tmp_path, capsys):
    result = load_example("xor").main(["--lr", "100", "--quiet", "--out", str(tmp_path)])
    assert result["accuracy"] == 0.5
    out = capsys.readouterr().out
    assert "hint: the loss has stayed at" in out and "--debug-nans" in out and "smaller --lr" in out


def test_xor_diagnoses_a_nan_loss_and_stays_quiet_when_training_works():
    xor = load_example("xor")
    assert "--debug-nans" in xor.diagnose({0: 1.0, 100: float("nan")}, lr=5.0)
    assert xor.diagnose({0: 50.0, 100: 10.0, 200: 2.0, 300: 0.9}, lr=0.03) is None
    assert xor.diagnose({s: 2.0 for s in range(0, 300, 100)}, lr=0.03) is None  # flat for only 200 steps


def test_xor_debug_nans_flag_runs_a_checking_session(tmp_path, capsys):
    load_example("xor").main(["--steps", "5", "--debug-nans", "--out", str(tmp_path)])
    assert "xor: 5 steps" in capsys.readouterr().out
