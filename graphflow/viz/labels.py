"""The text inside a drawn box: a node's name or op type, its scope, shape, and a run's value and gradient.

`node_lines` gives the lines of a label with their size, weight and colour; `box_size` the box that holds them,
measured from the glyph outlines so no renderer is needed.
"""

from __future__ import annotations

import functools
import re
from typing import Any

TITLE_SIZE = 9.0  # points
DETAIL_SIZE = 7.5
PAD_X, PAD_Y = 0.09, 0.05  # inches around the text
VALUE_COLOR = "#1b5e20"
GRADIENT_COLOR = "#c62828"


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float, bold: bool) -> float:
    """Width of `text` in inches at `size` points, measured from the glyph outlines (no renderer needed)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    if not text:
        return 0.0
    literal = text.replace("$", r"\$")  # TextPath has no parse_math switch; an escaped "$" is measured as itself
    path = TextPath((0, 0), literal, size=size, prop=FontProperties(weight="bold" if bold else "normal"))
    return max(path.get_extents().width, 0.0) / 72.0 + 0.02


def _shorten(text: str, limit: int = 30) -> str:
    """Cuts the middle out of a long name, keeping its start and its end (`SoftmaxCros…WithLogits_grad`)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _lines(data: dict[str, Any], names: bool, context: bool = True) -> list[tuple[str, float, bool, str]]:
    """The label: (text, size in points, bold, colour) per line; `context` adds an operation's scope above it."""
    kind, op, name, shape = data.get("kind", "operation"), data.get("op", ""), data.get("name", ""), data.get("shape")
    grey = "#455a64"
    if kind == "scope":
        members = data.get("members", 0)
        variables = data.get("variables", 0)
        detail = f"{members} nodes" + (f", {variables} variables" if variables else "")
        out = [(name, TITLE_SIZE + 1, True, "black"), (detail, DETAIL_SIZE, False, grey)]
        if shape and shape != "<unknown>":
            out.append((f"out {shape}", DETAIL_SIZE, False, grey))
        return out + _run_lines(data)
    named = kind == "operation" and user_named(name, op)
    if kind in ("placeholder", "variable"):
        title = _shorten(name)
    elif kind == "constant":
        title = data.get("value") or "Const"
    elif named:
        title = _shorten(name.rsplit("/", 1)[-1], 24)
    else:
        title = op
    out = []
    context = data.get("scope", "") if context or data.get("gradient") else ""
    if names and kind in ("operation", "constant"):
        out.append((_shorten(name, 36), DETAIL_SIZE - 0.5, False, grey))
    elif context and kind in ("operation", "constant"):
        parts = context.split("/")
        if data.get("gradient") and len(parts) > 1:
            parts = parts[1:]  # inside `gradients/`, the differentiated op's scope says what this part computes
        out.append((_shorten("/".join(parts), 26), DETAIL_SIZE - 0.5, False, grey))
    out.append((title, TITLE_SIZE, True, "black"))
    detail = " ".join(t for t in (op if named else "", shape if shape != "<unknown>" else "") if t)
    if detail and not (kind == "constant" and shape == "[]"):
        out.append((detail, DETAIL_SIZE, False, grey))
    return out + _run_lines(data)


def _run_lines(data: dict[str, Any]) -> list[tuple[str, float, bool, str]]:
    """A run's value and gradient, as `draw_graph(..., session=)` computed them."""
    out = []
    if data.get("run_value"):
        out.append((f"= {data['run_value']}", DETAIL_SIZE, False, VALUE_COLOR))
    if data.get("run_grad"):
        out.append((f"grad {data['run_grad']}", DETAIL_SIZE, False, GRADIENT_COLOR))
    return out


def user_named(name: str, op: str) -> bool:
    """Whether an op's name was given by its author (`J`, `logits`) rather than made from its type (`MatMul_2`)."""
    base = re.sub(r"_\d+$", "", name.rsplit("/", 1)[-1])
    # TF's default names are CapWords op names, sometimes another op's (`bias_add` makes an `Add` named `BiasAdd`).
    return bool(base) and base.lower() != op.lower() and not re.fullmatch(r"([A-Z][a-z0-9]+)+", base)


def _box_size(kind: str, lines: list[tuple[str, float, bool, str]]) -> tuple[float, float]:
    width = max(_text_width(t, s, b) for t, s, b, _ in lines)
    height = sum(s * 1.22 / 72 for _, s, _, _ in lines)
    width, height = width + 2 * PAD_X, height + 2 * PAD_Y
    if kind == "ellipse":
        width, height = width * 1.3, height * 1.25
    elif kind == "pill":
        width += height * 0.5
    return max(width, 0.45), max(height, 0.3)
