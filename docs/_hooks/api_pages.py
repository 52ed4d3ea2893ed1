"""mkdocs hook: one API reference page per public namespace, listing every name in the namespace's `__all__`.

The pages are generated when the site builds, so a name added to `__all__` appears without editing the docs. Each
name becomes a mkdocstrings block (`::: graphflow.nn.relu`), which renders its signature and docstring; a name that
griffe cannot resolve, or (with `extra.require_docstrings: true` in mkdocs.yml) one without a docstring, is logged as
a warning, which fails a `--strict` build.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import posixpath
import re
import types
from collections.abc import Callable
from pathlib import Path

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.plugins.graphflow_api")
ROOT = Path(__file__).resolve().parents[2]  # the repository

# (module, title, page) in the order the reference lists them.
NAMESPACES = [
    ("graphflow", "gf", "graphflow"),
    ("graphflow.nn", "gf.nn", "nn"),
    ("graphflow.layers", "gf.layers", "layers"),
    ("graphflow.losses", "gf.losses", "losses"),
    ("graphflow.train", "gf.train", "train"),
    ("graphflow.math", "gf.math", "math"),
    ("graphflow.metrics", "gf.metrics", "metrics"),
    ("graphflow.gfile", "gf.gfile", "gfile"),
    ("graphflow.initializers", "gf.initializers", "initializers"),
    ("graphflow.summary", "gf.summary", "summary"),
    ("graphflow.viz", "gf.viz", "viz"),
    ("graphflow.data", "gf.data", "data"),
    ("graphflow.datasets.mnist", "gf.datasets.mnist", "datasets.mnist"),
    ("graphflow.datasets.xor", "gf.datasets.xor", "datasets.xor"),
    ("graphflow.dtypes", "gf.dtypes", "dtypes"),
    ("graphflow.errors", "gf.errors", "errors"),
    ("graphflow.debugging", "gf.debugging", "debugging"),
    ("graphflow.tf_logging", "gf.logging", "logging"),
    ("graphflow.app", "gf.app", "app"),
]


def public_names(module: types.ModuleType) -> list[str]:
    """The module's `__all__`; without one, the names it defines itself (not the ones it imports)."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    found = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        home = getattr(value, "__module__", None)
        if home is None or home == module.__name__ or (isinstance(home, str) and home.startswith("graphflow")):
            if not (inspect.isclass(value) or callable(value)) and home is None and name == "annotations":
                continue  # `from __future__ import annotations`
            found.append(name)
    return sorted(found)


def _documented(value: object) -> bool:
    if isinstance(value, (int, float, str, bytes, tuple, frozenset, type(None))):
        return True  # constants are described by the page that lists them
    return bool((getattr(value, "__doc__", None) or "").strip())


def _static_paths() -> Callable[[str], bool]:
    """Whether griffe's static analysis, which mkdocstrings uses, finds a dotted name (it misses `A, B = 0, 1`)."""
    import griffe

    package = griffe.load("graphflow", search_paths=["."], resolve_aliases=False)

    def found(path: str) -> bool:
        try:
            obj = package[path.removeprefix("graphflow.")]
            _ = obj.final_target if obj.is_alias else obj
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return False
        return True

    return found


def page(module_name: str, title: str, found: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The Markdown of one namespace's page, and the names without a docstring."""
    module = importlib.import_module(module_name)
    summary = (inspect.getdoc(module) or "").split("\n\n")[0]
    lines = [f"# `{title}`", "", summary, ""]
    names = public_names(module)
    lines += ["| name | |", "|---|---|"]
    for name in names:
        doc = (inspect.getdoc(getattr(module, name, None)) or "").strip().split("\n")[0]
        if isinstance(getattr(module, name, None), (int, float, str)) or not doc:
            doc = ""
        cell = doc.replace("|", "\\|")
        lines.append(f"| [`{name}`](#{module_name}.{name}) | {cell} |")
    lines.append("")
    pages = {module: slug for module, _, slug in NAMESPACES}
    for name in names:
        path = f"{module_name}.{name}"
        value = getattr(module, name, None)
        home = getattr(value, "__module__", None)
        if inspect.ismodule(value) and value.__name__ in pages:  # a namespace with a page of its own
            lines += [
                f"## `{name}` {{ #{path} }}",
                "",
                f"The namespace [`{value.__name__}`]({pages[value.__name__]}.md).",
                "",
            ]
        elif home in pages and home != module_name and inspect.isclass(value) | inspect.isfunction(value):
            # documented on its own namespace's page: one primary entry per object, so cross-references resolve
            there = name if name in public_names(importlib.import_module(home)) else value.__name__
            lines += [
                f"## `{name}` {{ #{path} }}",
                "",
                f"The same as [`{home}.{there}`]({pages[home]}.md#{home}.{there}).",
                "",
            ]
        elif found(path):
            lines += [f"::: {path}", "    options:", "      heading_level: 2", ""]
        else:  # a constant griffe cannot see: its value is its documentation
            lines += [f"## `{name}` {{ #{path} }}", "", f"`{path} = {getattr(module, name, None)!r}`", ""]
    missing = [name for name in names if not _documented(getattr(module, name, None))]
    return "\n".join(lines), missing


# Repository files that become pages, by repository path: the README is the home page; the others keep their path,
# so the links between them still work.
MIRRORED = {
    "README.md": "index.md",
    "examples/tf1/README.md": "examples/tf1/README.md",
    "benchmarks/README.md": "benchmarks/README.md",
    "benchmarks/RESULTS.md": "benchmarks/RESULTS.md",
    "benchmarks/RESULTS-busy.md": "benchmarks/RESULTS-busy.md",
    "benchmarks/RESULTS-busy-openblas-own.md": "benchmarks/RESULTS-busy-openblas-own.md",
    "benchmarks/RESULTS-thread-counts.md": "benchmarks/RESULTS-thread-counts.md",
    "tests/conformance/README.md": "tests/conformance/README.md",
}
LINK = re.compile(r"\[([^\]]*)(\]\()([^)\s#]+)((?:#[^)\s]*)?\))")


def _site_path(repo_path: str) -> str | None:
    if repo_path in MIRRORED:
        return MIRRORED[repo_path]
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    return None


def on_page_markdown(markdown, page, config, files):
    """Links written for GitHub (from the README to docs/, from docs/ to ../benchmarks/) point at the site's pages."""
    origin = page.file.origin if hasattr(page.file, "origin") else f"docs/{page.file.src_uri}"
    here = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match) -> str:
        text, target = match.group(1), match.group(3)
        if "://" in target or target.startswith(("mailto:", "/")):
            return match.group(0)
        repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(origin), target))
        site = _site_path(repo_path)
        if site is None:
            if not repo_path.endswith(".md") and (ROOT / repo_path).exists():
                return f"{text} (`{repo_path}`)"  # a source file of the repository, which the site does not hold
            return match.group(0)
        return "[" + text + match.group(2) + posixpath.relpath(site, here or ".") + match.group(4)

    return LINK.sub(rewrite, markdown)


def on_config(config):
    reference = [{title: f"api/{slug}.md"} for _, title, slug in NAMESPACES]
    nav = config["nav"]
    for i, entry in enumerate(nav):
        if isinstance(entry, dict) and "API reference" in entry:
            nav[i] = {"API reference": ["api/index.md", *reference]}
    return config


def on_files(files, config):
    require = config["extra"].get("require_docstrings", False)
    found = _static_paths()
    index = ["# API reference", "", "Every public name of each namespace, from its `__all__`.", ""]
    for module_name, title, slug in NAMESPACES:
        text, missing = page(module_name, title, found)
        files.append(File.generated(config, f"api/{slug}.md", content=text))
        count = len(public_names(importlib.import_module(module_name)))
        index.append(f"- [`{title}`]({slug}.md): {count} names")
        if missing:
            (log.warning if require else log.info)(
                "%s: %d public names without a docstring: %s", title, len(missing), ", ".join(missing)
            )
    files.append(File.generated(config, "api/index.md", content="\n".join(index) + "\n"))
    root = Path(config["config_file_path"]).parent
    for repo_path, site_path in MIRRORED.items():
        file = File.generated(config, site_path, content=(root / repo_path).read_text(encoding="utf-8"))
        file.origin = repo_path
        files.append(file)
    return files
