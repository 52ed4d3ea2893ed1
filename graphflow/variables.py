"""Variables: state that persists across the runs of one `Session`, each session holding its own value."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.defaults import SESSIONS
from graphflow.graph import get_default_graph
from graphflow.nodes import Constant, Node, _op

Array = np.ndarray


def _fits(requested: Any, actual: tuple | None) -> bool:
    """Whether a static shape fits a requested one, whose None entries match any size."""
    if actual is None:
        return True
    requested = list(requested)
    if len(requested) != len(actual):
        return False
    return all(r is None or a is None or int(r) == a for r, a in zip(requested, actual, strict=True))


class Variable(Node):
    """State that persists across runs of one `Session`. Each session holds its own value.

    A session initialises a variable from its initial value the first time a run needs it, or again when it runs
    `global_variables_initializer()`. Only `assign` ops and optimizers change it.

    Args:
        initial_value: an array, a number, a graph node, or a function of no arguments that returns one.
        trainable: whether optimizers update it by default (it joins "trainable_variables").
        collections: the collections it joins; ["variables"] by default.
        validate_shape: only True (or None): a variable keeps the shape of its initial value.
        caching_device: accepted and ignored (one device).
        name: its name (made unique in the graph); "Variable" by default.
        variable_def: TF-1's protocol-buffer form; not supported (only None).
        dtype: converts the initial value.
        expected_shape: accepted and ignored, as TF-1 does since 1.x.
        import_scope: with `variable_def` only; not supported (only None).
        constraint: a projection after each update; not supported (only None).
        use_resource: accepted and ignored (one kind of variable).
        synchronization: accepted and ignored (no replicas).
        aggregation: accepted and ignored (no replicas).
        shape: the shape it must have; None dimensions match any size.

    Raises:
        NotImplementedError: `validate_shape=False`, `variable_def`, `import_scope` or `constraint`.
        ValueError: no initial value, or one whose shape does not fit `shape`.

    Examples:
        >>> w = gf.Variable(gf.zeros([2]), name="w")
        >>> gf.Session().run(gf.assign_add(w, [1.0, 2.0]))
        array([1., 2.], dtype=float32)
    """

    __slots__ = ("_initial_array", "_initial_node", "_initializer", "trainable")
    kind = "variable"
    _type = "VariableV2"

    def __init__(
        self,
        initial_value: Any,
        trainable: bool = True,
        *,
        collections: list[str] | None = None,
        validate_shape: bool | None = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        expected_shape: Any = None,
        import_scope: Any = None,
        constraint: Any = None,
        use_resource: Any = None,
        synchronization: Any = None,
        aggregation: Any = None,
        shape: Any = None,
    ) -> None:
        unsupported = {"validate_shape=False": validate_shape is False, "variable_def": variable_def is not None}
        unsupported |= {"import_scope": import_scope is not None, "constraint": constraint is not None}
        for argument, given in unsupported.items():
            if given:
                raise NotImplementedError(f"Variable: {argument} is not supported by graphflow")
        requested_shape = shape
        if not isinstance(trainable, bool | np.bool_):
            raise TypeError(
                f"Variable(trainable=...) must be a bool, got {trainable!r}; give the name as a keyword: name=..."
            )
        if initial_value is None:
            raise ValueError("Variable needs an initial_value (an array, a number, or a graph node)")
        graph = initial_value.graph if isinstance(initial_value, Node) else get_default_graph()
        dtype = dtypes.as_dtype(dtype)
        if callable(initial_value) and not isinstance(initial_value, Node):
            with graph.role_scope("initializer"):
                initial_value = initial_value()
        if isinstance(initial_value, Node):
            if dtype is not None and initial_value.dtype is not None and initial_value.dtype != dtype:
                initial_value = _op("Cast")(initial_value, dtype=dtype)
            self._initial_node, self._initial_array = initial_value, None
            shape, dtype = initial_value.shape, dtype or initial_value.dtype
        else:
            array = np.array(initial_value, dtype=dtype or dtypes.default_dtype(initial_value))
            dtypes.as_dtype(array.dtype)
            self._initial_node, self._initial_array = None, array
            shape, dtype = array.shape, array.dtype
        if requested_shape is not None and not _fits(requested_shape, shape):
            raise ValueError(
                f"Variable: the initial value has shape {shape}, which shape={list(requested_shape)} does not fit"
            )
        self.trainable = bool(trainable)
        self._initializer: Node | None = None
        super().__init__(graph, graph.unique_name(name or "Variable"), (), dtype, shape)
        for key in collections if collections is not None else ["variables"]:
            graph.add_to_collection(key, self)
        if self.trainable and "trainable_variables" not in (collections or []):
            graph.add_to_collection("trainable_variables", self)

    @property
    def initial_value(self) -> Node:
        """The initial value as a graph node (a constant is made on first access for array initial values)."""
        if self._initial_node is None:
            with self.graph.name_scope(self.op_name + "/"), self.graph.role_scope("initializer"):
                self._initial_node = Constant(
                    self.graph, self.graph.unique_name("initial_value"), self._initial_array, self.dtype
                )
        return self._initial_node

    def initial_array(self) -> Array | None:
        """The initial value when it was given as an array (so sessions can copy it without running a plan)."""
        return self._initial_array

    @property
    def initializer(self) -> Node:
        """The op that (re)sets this variable to its initial value in the session that runs it."""
        if self._initializer is None:
            initial_value = self.initial_value
            with self.graph.name_scope(self.op_name + "/"), self.graph.role_scope("initializer"):
                self._initializer = _op("Assign")(self, initial_value, name="Assign")
        return self._initializer

    def assign(self, value: Any, name: str | None = None) -> Node:
        return _op("Assign")(self, value, name=name)

    def assign_add(self, delta: Any, name: str | None = None) -> Node:
        return _op("AssignAdd")(self, delta, name=name)

    def assign_sub(self, delta: Any, name: str | None = None) -> Node:
        return _op("AssignSub")(self, delta, name=name)

    def value(self) -> Node:
        return self

    def read_value(self) -> Node:
        """A new op reading the variable: built inside `gf.control_dependencies`, it reads the value the updates it
        depends on gave the variable (TF-1)."""
        with self.graph.name_scope(self.op_name + "/"):
            return _op("Identity")(self, name="read")

    def load(self, value: Any, session: Any = None) -> None:
        """Sets the variable's value in `session` (default: the default session) without adding nodes."""
        session = session or SESSIONS.top()
        if session is None:
            raise ValueError(f"No session to load '{self.op_name}' into: pass session=")
        session.load_variable(self, value)
