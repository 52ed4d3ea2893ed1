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
