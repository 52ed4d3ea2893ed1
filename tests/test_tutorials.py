"""The tutorials in docs/tutorials run from top to bottom and end with pictures.

Each is a jupytext percent-format script; the test turns it into a notebook and executes it with nbclient in a
fresh kernel, as the documentation build does, so a tutorial that breaks fails here with the cell that failed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("[0-9][0-9]_*.py"))
PICTURES = ("image/png", "image/svg+xml")


def test_the_tutorial_path_is_complete():
    assert len(TUTORIALS) == 8
    index = (ROOT / "docs" / "tutorials" / "index.md").read_text()
    nav = (ROOT / "mkdocs.yml").read_text()
    for path in TUTORIALS:
        assert f"({path.name})" in index and f"tutorials/{path.name}" in nav, f"{path.name} is not linked"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_and_ends_with_a_picture(path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # The kernel imports this checkout's graphflow, and draws with the inline backend the notebook asks for.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = jupytext.read(path)
    nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": ROOT}}
    ).execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    last = code[-1].outputs
    assert any(kind in o.get("data", {}) for o in last for kind in PICTURES), "the last cell shows no picture"
    assert sum(kind in o.get("data", {}) for o in outputs for kind in PICTURES) >= 2
