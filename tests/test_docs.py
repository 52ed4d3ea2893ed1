"""The documentation site's API reference: every public name of every namespace gets an entry."""

import ast
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import graphflow as gf

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hook():
    pytest.importorskip("griffe")
    spec = importlib.util.spec_from_file_location("api_pages", ROOT / "docs" / "_hooks" / "api_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_namespace_has_a_page(hook):
    listed = {name for name, _, _ in hook.NAMESPACES}
    import graphflow.datasets

    public = getattr(gf, "__all__", None)
    if public is None:  # the namespaces graphflow/__init__.py imports by name: `from graphflow import nn, train, ...`
        tree = ast.parse((ROOT / "graphflow" / "__init__.py").read_text())
        public = [a.asname or a.name for s in tree.body if isinstance(s, ast.ImportFrom) and s.module == "graphflow"
                  for a in s.names]  # fmt: skip
    namespaces = {
        getattr(gf, name).__name__ for name in [*public, "viz"] if isinstance(getattr(gf, name, None), types.ModuleType)
    }
    namespaces |= {f"graphflow.datasets.{name}" for name in graphflow.datasets.__all__}
    # compat.v1 is graphflow itself under TF-1's name; datasets is documented by its two modules.
    namespaces -= {"graphflow.compat", "graphflow.datasets"}
    assert namespaces <= listed, f"namespaces without an API page: {sorted(namespaces - listed)}"


def test_every_public_name_is_on_its_page(hook):
    found = hook._static_paths()
    for module_name, title, _ in hook.NAMESPACES:
        text, _ = hook.page(module_name, title, found)
        module = importlib.import_module(module_name)
        for name in hook.public_names(module):
            path = f"{module_name}.{name}"
            assert f"::: {path}\n" in text or f"{{ #{path} }}" in text, f"{path} has no entry"


def test_a_namespace_without_all_lists_only_what_it_defines(hook):
    from typing import Any

    def f():
        """A function of the namespace."""

    module = types.ModuleType("graphflow.example")
    f.__module__ = module.__name__
    module.Any, module.f, module.X, module._hidden = Any, f, 3, 4
    assert hook.public_names(module) == ["X", "f"]
    module.__all__ = ["f"]
    assert hook.public_names(module) == ["f"]


def test_links_written_for_the_repository_point_at_site_pages(hook):
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="index.md", origin="README.md"))
    text = "[a](docs/architecture.md#x) [b](examples/tf1/README.md) ![c](docs/images/p.png) [d](https://x.org/a.md)"
    assert hook.on_page_markdown(text, page, None, None) == (
        "[a](architecture.md#x) [b](examples/tf1/README.md) ![c](images/p.png) [d](https://x.org/a.md)"
    )
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="architecture.md"))
    assert hook.on_page_markdown("[r](../benchmarks/README.md)", page, None, None) == "[r](benchmarks/README.md)"


def readme_programs() -> list[str]:
    """The README's Python blocks that stand on their own (those that start with an import)."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    return [b for b in blocks if b.startswith(("import ", "from "))]


@pytest.mark.parametrize("program", readme_programs(), ids=lambda p: p.splitlines()[-1].strip()[:40])
def test_readme_programs_run(program, tmp_path):
    pytest.importorskip("tensorboard")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr


def test_readme_has_the_standalone_programs_it_promises():
    assert len(readme_programs()) >= 2  # "A first graph" and the TensorBoard example
