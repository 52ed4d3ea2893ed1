"""`gf.variable_scope` and `gf.get_variable` (TF-1): variables found by name, so that code can share them.

Each graph keeps a store of the variables `get_variable` made, by full name (`"layer1/kernel"`). A variable scope
prefixes those names and says whether `get_variable` may create a variable (`reuse=False`, the default), must find
an existing one (`reuse=True`), or either (`reuse=AUTO_REUSE`). Entering a variable scope also opens a name scope for
the ops built inside; that one is made unique as usual (`layer1_1/MatMul` the second time), while the variables keep
the scope's own name, as in TF-1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow import dtypes, initializers
from graphflow.graph import Graph, get_default_graph
from graphflow.nodes import Node
from graphflow.shapes import as_shape, full_shape
from graphflow.variables import Variable


class _AutoReuse:
    """`reuse=gf.AUTO_REUSE` in `variable_scope` or `get_variable`: create a variable the first time its name is
    asked for, and share it every later time (TF-1 `tf.AUTO_REUSE`)."""

    def __repr__(self) -> str:
        return "gf.AUTO_REUSE"


AUTO_REUSE = _AutoReuse()


@dataclass
class VariableScope:
    """A variable scope: its full `name` ("" at the top), its `reuse` setting and the defaults it gives
    `get_variable` (TF-1 `tf.VariableScope`)."""

    name: str
    reuse: Any = False
    initializer: Any = None
    regularizer: Callable[[Node], Node] | None = None
    dtype: Any = None
    original_name_scope: str = ""

    def reuse_variables(self) -> None:
        """From now on, `get_variable` in this scope finds existing variables (TF-1)."""
        self.reuse = True


@dataclass
class _Store:
    variables: dict[str, Variable] = field(default_factory=dict)
    scope: VariableScope = field(default_factory=lambda: VariableScope(""))
    scope_counts: dict[str, int] = field(default_factory=dict)  # how often each full scope name was opened


def _store(graph: Graph) -> _Store:
    """The graph's store, kept on the graph itself (as in TF-1): a table outside it, keyed by graph, would hold the
    graph's variables, which point back to the graph, so no dropped graph could ever be freed."""
    if graph._variable_store is None:
        graph._variable_store = _Store()
    return graph._variable_store


def get_variable_scope() -> VariableScope:
    """The current variable scope of the default graph (TF-1 `tf.get_variable_scope`).

    Returns:
        A `gf.VariableScope`: its `name`, `reuse`, `initializer`, and `reuse_variables()`.

    Examples:
        >>> with gf.Graph().as_default(), gf.variable_scope("layer"):
        ...     gf.get_variable_scope().name
        'layer'
    """
    return _store(get_default_graph()).scope


@contextlib.contextmanager
def variable_scope(
    name_or_scope: str | VariableScope | None,
    default_name: str | None = None,
    values: Any = None,
    initializer: Any = None,
    regularizer: Callable[[Node], Node] | None = None,
    reuse: Any = None,
    dtype: Any = None,
    auxiliary_name_scope: bool = True,
) -> Iterator[VariableScope]:
    """Opens a variable scope (and a name scope) for `get_variable` (TF-1 `tf.variable_scope`).

    Args:
        name_or_scope: the scope's name, nested under the current one, or a `VariableScope` to enter again.
        default_name: used, made unique (`dense`, `dense_1`), when `name_or_scope` is None.
        initializer, regularizer, dtype: defaults for `get_variable` inside; inner scopes inherit them.
        reuse: True (find existing variables), `gf.AUTO_REUSE` (find or create), or None to inherit the enclosing
            scope's setting. A scope inside a reusing scope always reuses.
        values: accepted for TF-1 compatibility.

    Yields:
        The `VariableScope`.
    """
    graph = get_default_graph()
    store = _store(graph)
    outer = store.scope
    if isinstance(name_or_scope, VariableScope):
        full, name_scope = name_or_scope.name, name_or_scope.name
        base = name_or_scope
    elif name_or_scope is not None:
        if not isinstance(name_or_scope, str):
            raise TypeError(f"variable_scope takes a name or a VariableScope, got {name_or_scope!r}")
        full = f"{outer.name}/{name_or_scope}" if outer.name else name_or_scope
        name_scope, base = name_or_scope, outer
    elif default_name is not None:
        # The first of `name`, `name_1`, ... that no scope, named or unnamed, has used yet (TF-1).
        wanted = f"{outer.name}/{default_name}" if outer.name else default_name
        full, index = wanted, 1
        while store.scope_counts.get(full, 0):
            full, index = f"{wanted}_{index}", index + 1
        name_scope, base = full.rpartition("/")[2], outer
    else:
        raise ValueError("variable_scope needs a name_or_scope, or a default_name for an unnamed scope")
    if not isinstance(name_or_scope, VariableScope):
        store.scope_counts[full] = store.scope_counts.get(full, 0) + 1
    inherited = outer.reuse if outer.reuse is not False else base.reuse
    scope = VariableScope(
        full,
        # As in TF-1, reuse=False means "as the enclosing scope": only True or AUTO_REUSE change it.
        reuse=True if outer.reuse is True else (reuse if reuse not in (None, False) else inherited),
        initializer=initializer if initializer is not None else base.initializer,
        regularizer=regularizer if regularizer is not None else base.regularizer,
        dtype=dtype if dtype is not None else base.dtype,
    )
    store.scope = scope
    # A VariableScope object entered again gets back the counts it left, as in TF-1.
    counts = dict(store.scope_counts) if isinstance(name_or_scope, VariableScope) else None
    try:
        if auxiliary_name_scope:
            with graph.name_scope(name_scope) as opened:
                scope.original_name_scope = opened
                yield scope
        else:
            yield scope
    finally:
        store.scope = outer
        if counts is not None:
            store.scope_counts = counts
        elif name_or_scope is not None:
            # Leaving a named scope forgets the unnamed scopes opened inside it, as TF-1 does, so code that enters
            # it again with reuse=True names its layers dense, dense_1, ... as the first time and finds their
            # variables.
            for key in [k for k in store.scope_counts if k.startswith(full + "/")]:
                del store.scope_counts[key]


def get_variable(
    name: str,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Callable[[Node], Node] | None = None,
    trainable: bool | None = None,
    collections: list[str] | None = None,
    caching_device: Any = None,
    partitioner: Any = None,
    validate_shape: bool = True,
    use_resource: bool | None = None,
    custom_getter: Any = None,
    constraint: Any = None,
    synchronization: Any = None,
    aggregation: Any = None,
) -> Variable:
    """The variable `name` of the current variable scope, made if the scope's `reuse` allows (TF-1).

    Args:
        name: its name in the scope; the variable is called `"<scope>/<name>"`, whatever name scope is open.
        shape, dtype: required to make one (dtype defaults to the scope's, then float32); when found, they are
            checked against the existing variable.
        initializer: an initializer (`gf.initializers.*`, called with the shape and dtype), a node, an array or a
            number. Defaults to the scope's, then to Glorot-uniform for floats and zeros otherwise, as in TF-1.
        regularizer: a function of the variable whose result joins the "regularization_losses" collection
            (`gf.losses.get_total_loss` adds them).
        trainable, collections: as for `Variable`.
        caching_device, validate_shape, use_resource, synchronization, aggregation: accepted for TF-1
            compatibility and ignored (one device, static shapes, one kind of variable, no replicas).
        partitioner, custom_getter, constraint: not supported; anything but None raises NotImplementedError
            rather than being silently ignored.

    Returns:
        The `gf.Variable`, new or found.

    Examples:
        >>> with gf.Graph().as_default(), gf.variable_scope("layer"):
        ...     gf.get_variable("w", [2, 3]).op_name
        'layer/w'

    Raises:
        ValueError: making a variable that exists without reuse, finding one that does not exist with
            `reuse=True`, a shape or dtype that differs from the existing variable's, or no shape to make one.
    """
    unsupported = {"partitioner": partitioner, "custom_getter": custom_getter, "constraint": constraint}
    for argument, value in unsupported.items():
        if value is not None:
            raise NotImplementedError(
                f"get_variable('{name}'): {argument} is not supported by graphflow; leave it None (a {argument} "
                "would otherwise be ignored without a word)"
            )
    graph = get_default_graph()
    store = _store(graph)
    scope = store.scope
    full = f"{scope.name}/{name}" if scope.name else name
    if shape is not None:
        shape = as_shape(shape, f"get_variable('{full}', shape=...)")
    dtype = dtypes.as_dtype(dtype if dtype is not None else scope.dtype)
    found = store.variables.get(full)
    if found is not None:
        if scope.reuse is False:
            raise ValueError(
                f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or reuse=gf.AUTO_REUSE "
                "in the variable_scope? To make a second variable instead, use another name or scope."
            )
        return _checked(found, full, shape, dtype)
    if scope.reuse is True:
        raise ValueError(
            f"Variable {full} does not exist, or was not created with gf.get_variable(). Did you mean to set "
            "reuse=gf.AUTO_REUSE in the variable_scope? Existing ones: "
            f"{', '.join(sorted(store.variables)) or 'none'}"
        )
    variable = _make(graph, full, shape, dtype, initializer, scope, trainable, collections)
    store.variables[full] = variable
    regularizer = regularizer or scope.regularizer
    if regularizer is not None:
        with graph.name_scope(full + "/Regularizer/"):
            loss = regularizer(variable)
        if loss is not None:
            graph.add_to_collection("regularization_losses", loss)
    return variable


def _make(
    graph: Graph,
    full: str,
    shape: Any,
    dtype: np.dtype | None,
    initializer: Any,
    scope: VariableScope,
    trainable: bool | None,
    collections: list[str] | None,
) -> Variable:
    initializer = initializer if initializer is not None else scope.initializer
    if initializer is None or (callable(initializer) and not isinstance(initializer, Node)):
        if shape is None:
            raise ValueError(
                f"Variable {full} did not get an initializer, so its `shape` argument must be specified "
                "(or give an initial value as the initializer)"
            )
        dtype = dtype or dtypes.float32
        if initializer is None:
            initializer = initializers.glorot_uniform() if dtype.kind == "f" else initializers.zeros()
        shape = full_shape(shape, f"get_variable('{full}', shape=...)")
        make = initializer

        def initial_value() -> Node:
            return make(shape, dtype=dtype)
    else:  # an initial value itself: its shape is the variable's
        if shape is not None:
            raise ValueError(
                f"Variable {full}: if initializer is a constant, do not specify shape (it is the constant's shape); "
                "to fill a shape with one value, pass gf.constant_initializer(value) instead"
            )
        value: Any = initializer
        if not isinstance(initializer, Node):  # a number or a list takes float32 or int32, as gf.constant does
            value = np.asarray(initializer, dtype=dtype or dtypes.default_dtype(initializer))

        def initial_value() -> Any:
            return value

    def built_in_its_scope() -> Any:  # the initial value's ops go in "<full>/Initializer/", as in TF-1
        with graph.name_scope(full + "/Initializer/"):
            return initial_value()

    prefix, _, short = full.rpartition("/")
    with graph.name_scope(prefix + "/" if prefix else None):  # the variable scope's name, not the open name scope
        trainable = True if trainable is None else trainable
        return Variable(built_in_its_scope, trainable, name=short, dtype=dtype, collections=collections)


def _checked(variable: Variable, full: str, shape: Any, dtype: np.dtype | None) -> Variable:
    if shape is not None and variable.shape is not None and tuple(variable.shape) != tuple(shape):
        raise ValueError(
            f"Trying to share variable {full}, but specified shape {tuple(shape)} and found shape "
            f"{tuple(variable.shape)}."
        )
    if dtype is not None and variable.dtype != dtype:
        raise ValueError(
            f"Trying to share variable {full}, but specified dtype {dtype} and found dtype {variable.dtype}."
        )
    return variable
