"""Sessions run graphs. A session compiles each distinct request into a `Plan` once and replays it afterwards.

A `Plan` is the part of the graph a request needs, in topological order, flattened into steps over integer slots:
`(fn, arg_slots, attrs, out_slot, free_slots)`. Running it fills a fresh list of slots (variables, feeds, constants),
calls each step's numpy function, and frees each value after its last reader; a large result's array is kept for the
same step to reuse in the next run. Variable values live in the session, so two sessions on one graph are
independent. Updates made by a run are committed only when the run succeeds.
"""

from __future__ import annotations

import functools
import gc
import math
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from graphflow import errors
from graphflow.graph import (
    Constant,
    Graph,
    Node,
    Operation,
    Placeholder,
    Variable,
    dtype_name,
    format_shape,
    get_default_graph,
    topo_order,
)
from graphflow.ops import activation
from graphflow.ops._util import compatible

Array = np.ndarray
GROWTH_WARNING_RUNS = 10
NO_SPARES: Mapping = MappingProxyType({})
Step = tuple[Callable[..., Any], tuple[int, ...], dict[str, Any], int | slice, tuple[int, ...]]


class GraphGrowthWarning(UserWarning):
    """A training loop keeps adding nodes to the graph (TF-1's most common slowdown)."""


class Plan:
    """A compiled request: which slots hold variables, feeds and fetches, and the steps between them.

    Attributes:
        nodes: the node each slot holds, in topological order (slot i holds nodes[i]).
        steps: one `(fn, arg_slots, attrs, out_slot, free_slots)` per operation, in order; for an op that changes
            several variables (a fused optimizer update) `out_slot` is a slice of consecutive slots, one per variable,
            which the tuple of their new values fills.
        variables: `(slot, variable)` for each variable the plan reads.
        feeds: `(slot, node, key)` for each fed node the request needs; `key` is its key in the feed_dict.
        fetch_slots: the slot of each fetch.
        commits: `(variable, slot)`: the variable's new value at the end of a successful run.
        buffers: `(slot, variable)`: where the variable's recycled buffer goes, for a variable updated once in the
            plan; its update writes the new value there instead of into a newly allocated array. Slots past the
            nodes' own (buffers, a multi-variable update's results) belong to an op: see `node_at`.
        uninitialized: variables whose value the plan reads, to initialise before its first run in a session.
        kept: for each step that allocated a large result, that array and its inputs' shapes and dtypes, for the
            step to write into in the next run (see `_reuse_arrays`).
    """

    def __init__(
        self,
        fetches: list[Node],
        feed_keys: list[Any],
        feed_nodes: list[Node],
        rng_for: Callable[[Operation], np.random.Generator],
        in_place: bool = True,
    ) -> None:
        fed = set(feed_nodes)
        self.nodes = topo_order(fetches, cut=fed)
        slot = {node: i for i, node in enumerate(self.nodes)}
        self.template: list[Any] = [None] * len(self.nodes)
        # Only the feeds this request needs: (slot, node, key in the feed_dict).
        self.feeds = [(slot[node], node, key) for node, key in zip(feed_nodes, feed_keys, strict=True) if node in slot]
        self.variables: list[tuple[int, Variable]] = []
        self.steps: list[Step] = []
        latest: dict[Variable, int] = {}  # the slot holding each variable's newest value within the run
        reads: set[Variable] = set()
        self.buffers: list[tuple[int, Variable]] = []
        self._owner: dict[int, Operation] = {}  # the op behind each slot past the nodes' (buffers, extra results)
        updated = Counter(ref for n in self.nodes if isinstance(n, Operation) for ref in _changed(n))
        for node in self.nodes:
            if node in fed:
                continue
            if isinstance(node, Operation):
                args = [slot[i] for i in node.inputs]
                changed = _changed(node)
                reads.update(i for i in node.inputs[len(changed) :] if isinstance(i, Variable))
                # Where each changed variable's new value goes; the first is the op's own output. An op that changes
                # several variables returns a tuple, which lands in as many consecutive slots of its own.
                outs = [slot[node]]
                if len(changed) > 1:
                    outs = [self._extra_slot(node) for _ in changed]
                    slot[node] = outs[0]
                for k, ref in enumerate(changed):
                    if ref in fed:
                        raise errors.InvalidArgumentError(
                            node,
                            f"{node.type} '{node.name}' updates variable '{ref.name}', which is fed in this run; "
                            "a fed variable cannot be updated",
                        )
                    if node.opdef.ref == "update":
                        reads.add(ref)
                    args[k] = latest.get(ref, slot[ref])
                    latest[ref] = outs[k]
                for ref in changed:
                    # The slot of a recycled buffer to write the new value into; it holds None when a second update
                    # of the variable would overwrite a value the first one handed on.
                    buffer = self._extra_slot(node)
                    if updated[ref] == 1:
                        self.buffers.append((buffer, ref))
                    args.append(buffer)
                attrs = node.attrs
                if node.opdef.needs_rng:
                    attrs = {k: v for k, v in attrs.items() if k != "seed"}
                    attrs["rng"] = rng_for(node)
                # An op registered as a ufunc is called as that ufunc: the same result, one Python frame fewer.
                fn = node.opdef.ufunc or node.opdef.forward
                out = outs[0] if len(outs) == 1 else slice(outs[0], outs[-1] + 1)  # env[a:b] = (x, y, z) fills three
                self.steps.append((fn, tuple(args), attrs, out, ()))
            elif isinstance(node, Variable):
                self.variables.append((slot[node], node))
            elif isinstance(node, Constant):
                self.template[slot[node]] = node.value
            elif isinstance(node, Placeholder):
                raise errors.InvalidArgumentError(
                    node,
                    f"You must feed a value for placeholder '{node.name}' with dtype {dtype_name(node.dtype)} "
                    f"and shape {format_shape(node.shape)}: pass it in feed_dict, e.g. "
                    f"sess.run(..., feed_dict={{{node.name}: value}})",
                )
        reads.update(node for node in fetches if isinstance(node, Variable) and node not in fed)
        self.fetch_slots = [slot[node] for node in fetches]
        self.commits = [(var, s) for var, s in latest.items()]
        self.uninitialized = sorted(reads - fed, key=lambda v: v.name)
        outlive = {*self.fetch_slots, *(s for _, s in self.commits)}  # values read after the last step
        if in_place:
            self._fuse(outlive)
        self._free_after_last_use(outlive)
        self._reuse_arrays(in_place)

    def _extra_slot(self, op: Operation) -> int:
        """A new slot past the nodes' own, for a value `op` makes or uses besides its output."""
        self.template.append(None)
        self._owner[len(self.template) - 1] = op
        return len(self.template) - 1

    def node_at(self, slot: int | slice) -> Node:
        """The node whose value `slot` (or a step's slice of slots) holds, or the op that made or uses it."""
        if type(slot) is slice:
            slot = slot.start
        return self.nodes[slot] if slot < len(self.nodes) else self._owner[slot]

    def _fuse(self, outlive: set[int]) -> None:
        """Runs a dense layer's bias add and relu as one step (`bias_relu`), one pass over the layer's output instead
        of two, when the relu is the only reader of the sum and the static shapes show a matrix plus a bias of its
        width. The relu's step then takes the add's inputs, and the add's step goes.

        Not in a debugging plan, whose checks look at every op's own result.
        """
        readers = Counter(s for _, args, _, _, _ in self.steps for s in args)
        made_by = {out: i for i, (_, _, _, out, _) in enumerate(self.steps) if type(out) is int}
        fused = set()
        for j, (_, args, _, out, _) in enumerate(self.steps):
            if self.node_at(out).type != "Relu" or readers[args[0]] != 1 or args[0] in outlive:
                continue
            i = made_by.get(args[0])
            if i is not None and _is_bias_add(self.node_at(args[0])):
                self.steps[j] = (activation.bias_relu, self.steps[i][1], {}, out, ())  # frees are set afterwards
                fused.add(i)
        self.steps = [step for i, step in enumerate(self.steps) if i not in fused]

    def _free_after_last_use(self, keep: set[int]) -> None:
        """Sets each step's `free_slots`: the slots whose last reader it is (so memory is released early)."""
        last_reader: dict[int, int] = {}
        for index, (_, args, _, _, _) in enumerate(self.steps):
            for s in args:
                last_reader[s] = index
        frees: list[list[int]] = [[] for _ in self.steps]
        for s, index in last_reader.items():
            if s not in keep:
                frees[index].append(s)
        self.steps = [(fn, args, attrs, out, tuple(frees[i])) for i, (fn, args, attrs, out, _) in enumerate(self.steps)]

    def _reuse_arrays(self, in_place: bool) -> None:
        """Decides, for each step whose op can write its result into a given array (`ufunc`, or `out` in its
        registration), which array that is instead of a new one.

        With `in_place`, an input the step reads last, if the op allows it (`into_inputs`), and the input is a new
        array made by another such step (so nobody else holds it), read by no op that may return a view of it (so no
        alias of it outlives this step), and of the result's dtype and, as far as static shapes tell, its shape.
        Otherwise the array the step returned in an earlier run, once nothing else holds it (see `_recycling`):
        large temporaries are then allocated once per plan instead of once per run, where each new large array would
        be fresh memory from the operating system, paid for again in page faults. `kept` holds those arrays between
        runs; they are freed with the plan. Results known from their static shapes to be smaller than
        `IN_PLACE_BYTES` (`RECYCLE_BYTES`) are left to allocate: numpy hands out a small array faster than it sets up
        a call with `out=`.
        """
        fresh = {out for _, _, _, out, _ in self.steps if _writes_out(self.node_at(out))}
        viewed = {s for _, args, _, out, _ in self.steps if self.node_at(out).opdef.views for s in args}
        self.kept: dict[int, tuple[Any, Array]] = {}
        steps = []
        for fn, args, attrs, out, free in self.steps:
            node = self.node_at(out)
            if _writes_out(node):
                into = None  # the input to write into, if any
                if in_place and node.opdef.into_inputs and not _smaller_than(node, IN_PLACE_BYTES):
                    for i, s in enumerate(args):
                        if s in free and s in fresh and s not in viewed and _can_hold(self.node_at(s), node):
                            into = i
                            break
                if into is not None and node.opdef.ufunc is not None:
                    fn = functools.partial(_into_input, node.opdef.ufunc, into)
                elif into is not None:
                    fn = functools.partial(_forward_into_input, fn, into)
                elif type(out) is int and not _smaller_than(node, RECYCLE_BYTES):
                    fn = functools.partial(_recycling, fn, self.kept, out)
            steps.append((fn, args, attrs, out, free))
        self.steps = steps

    def _fresh_env(self, values: Mapping[Variable, Array], feeds: list[Array], spares: Mapping) -> list[Any]:
        env = self.template.copy()
        for s, var in self.variables:
            env[s] = values.get(var)
        for s, var in self.buffers:
            env[s] = spares.get(var)
        for (s, _, _), value in zip(self.feeds, feeds, strict=True):
            env[s] = value
        return env

    def execute(
        self, values: Mapping[Variable, Array], feeds: list[Array], spares: Mapping = NO_SPARES
    ) -> tuple[list[Any], list[Array]]:
        """Runs the steps. Returns the fetched values and the new value of each variable in `commits`.

        `spares` maps variables to recycled buffers their updates may write into (see `buffers`).
        """
        env = self._fresh_env(values, feeds, spares)
        out = -1
        try:
            for fn, args, attrs, out, free in self.steps:
                # One- and two-input calls are spelled out: building an argument list costs more than a small op.
                if attrs:
                    env[out] = fn(*[env[s] for s in args], **attrs)
                elif len(args) == 2:
                    env[out] = fn(env[args[0]], env[args[1]])
                elif len(args) == 1:
                    env[out] = fn(env[args[0]])
                else:
                    env[out] = fn(*[env[s] for s in args])
                for s in free:
                    env[s] = None
        except Exception as e:
            raise self._failure(self.node_at(out), e) from e
        return [env[s] for s in self.fetch_slots], [env[s] for _, s in self.commits]

    def execute_checked(
        self, values: Mapping[Variable, Array], feeds: list[Array], spares: Mapping = NO_SPARES
    ) -> tuple[list[Any], list[Array]]:
        """`execute` that also stops at the first op whose output holds NaN or Inf (`Session(debug_nans=True)`).

        A separate loop, so the plain one pays nothing for the check.
        """
        env = self._fresh_env(values, feeds, spares)
        for fn, args, attrs, out, free in self.steps:
            inputs = [env[s] for s in args]
            try:
                value = fn(*inputs, **attrs)
            except Exception as e:
                raise self._failure(self.node_at(out), e) from e
            if _non_finite(value):
                raise self._non_finite_error(self.node_at(out), value, inputs)
            env[out] = value
            for s in free:
                env[s] = None
        return [env[s] for s in self.fetch_slots], [env[s] for _, s in self.commits]

    def _non_finite_error(self, node: Node, value: Array, inputs: list[Any]) -> errors.OpError:
        # `inputs` may go on past the node's inputs with the buffers an update writes into; those are not described.
        described = zip(node.inputs, inputs[: len(node.inputs)], strict=True)
        lines = [f"  input {i} '{x.name}': {_summary(v)}" for i, (x, v) in enumerate(described)]
        return errors.InvalidArgumentError(
            node,
            f"{node.type} '{node.name}' produced {_summary(value)}; it is the first op of this run to do so. "
            "Its inputs were:\n" + "\n".join(lines or ["  (none)"]) + "\nNo variable was changed.",
        )

    def _failure(self, node: Node, error: Exception) -> errors.OpError:
        inputs = ", ".join(f"'{i.name}' {format_shape(i.shape)} {dtype_name(i.dtype)}" for i in node.inputs)
        return errors.InvalidArgumentError(
            node, f"{node.type} '{node.name}' failed: {error} (inputs: {inputs or 'none'}). No variable was changed."
        )


class Session:
    """Runs a graph and holds its variables' values (TF-1 `tf.Session`).

    Args:
        target: accepted for TF-1 compatibility; graphflow runs in this process only and it must be empty.
        graph: the graph to run; the default graph when None.
        config: accepted for TF-1 compatibility and ignored (graphflow has no devices to configure).
        debug_nans: check every op's output during each run and stop at the first that holds NaN or Inf, naming
            the op, its type and a summary of its inputs. Off by default; when off it costs nothing.
    """

    def __init__(
        self, target: str = "", graph: Graph | None = None, config: Any = None, *, debug_nans: bool = False
    ) -> None:
        if target:
            raise ValueError(f"Session(target={target!r}): graphflow runs in-process only; leave target empty")
        self.graph = graph if graph is not None else get_default_graph()
        self._values: dict[Variable, Array] = {}
        self._spares: dict[Variable, Array] = {}  # a recycled buffer per variable, for its next update
        self._owned: set[Variable] = set()  # variables whose current value this session made and alone holds
        self._plans: dict[Any, Plan] = {}
        self._rngs: dict[Operation, np.random.Generator] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._default = None
        self.debug_nans = debug_nans
        self._graph_size = -1  # nodes in the graph at the previous run, to notice a loop that keeps adding nodes
        self._growth_streak = 0

    # -- running -------------------------------------------------------------------------------------------------

    def run(self, fetches: Any, feed_dict: Mapping | None = None, options: Any = None, run_metadata: Any = None) -> Any:
        """Computes `fetches` (a node, or a list, tuple, dict or nesting of them) and returns values in that structure.

        Args:
            fetches: nodes (or node names) to compute. An op with no output (a train op) fetches as None.
            feed_dict: values for placeholders, or for any other node to override it in this run. Values may be
                numpy arrays, lists or numbers; they are converted to the node's dtype and checked against its shape.

        Raises:
            TypeError: a fetch or feed key is not a graph node.
            ValueError: a node belongs to another graph.
            gf.errors.InvalidArgumentError: a placeholder is not fed, a feed has the wrong shape or type, or an op
                failed; the message names the node. Variables are left as they were before the run.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if len(self.graph._nodes) != self._graph_size:
            self._note_growth()
        elif self._growth_streak:
            self._growth_streak = 0
        feed_dict = feed_dict or {}
        flat, rebuild = _flatten(fetches)
        # A debugging plan differs (each op its own step), so turning `debug_nans` on compiles anew.
        key = (tuple(flat), frozenset(feed_dict), self.debug_nans)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(key, flat, list(feed_dict))
        feeds = [_convert_feed(node, feed_dict[k]) for _, node, k in plan.feeds]
        if plan.uninitialized:
            with self._lock:  # threads starting together initialise each variable once
                self._initialize(plan.uninitialized)
                plan.uninitialized = []
        execute = plan.execute_checked if self.debug_nans else plan.execute
        results, updates = execute(self._values, feeds, self._spares)
        for (var, _), value in zip(plan.commits, updates, strict=True):
            self._commit(var, value)
        return rebuild([_writable(r) for r in results])

    def _note_growth(self) -> None:
        """Warns when the graph has grown before each of several consecutive runs: a loop building new ops."""
        grew = self._graph_size >= 0  # the first run of a session sees a graph built before it, which is normal
        self._graph_size = len(self.graph._nodes)
        self._growth_streak = self._growth_streak + 1 if grew else 0
        if self._growth_streak == GROWTH_WARNING_RUNS:
            warnings.warn(
                f"The graph grew before each of the last {GROWTH_WARNING_RUNS} Session.run calls (now "
                f"{self._graph_size} nodes): the loop builds new ops on every step, so each run compiles a new "
                "plan and memory keeps growing. Build ops once before the loop, or call graph.finalize() to make "
                "this an error that names the node.",
                GraphGrowthWarning,
                stacklevel=3,
            )

    def _compile(self, key: Any, flat: list[Any], feed_keys: list[Any]) -> Plan:
        fetch_nodes = [self._resolve(f, "Fetch") for f in flat]
        feed_nodes = [self._resolve(k, "Feed key") for k in feed_keys]
        with self._lock:  # threads asking for the same new request at once compile it once
            plan = self._plans.get(key)
            if plan is None:
                # Compiling makes many small objects; a collection pass over a big graph meanwhile would cost more
                # than the compile itself, and finds nothing to free.
                collecting = gc.isenabled()
                gc.disable()
                try:
                    # A debugging session keeps every input intact, so its error messages can describe them.
                    plan = Plan(fetch_nodes, feed_keys, feed_nodes, self._rng_for, in_place=not self.debug_nans)
                finally:
                    if collecting:
                        gc.enable()
                self._plans[key] = plan
        return plan

    def _resolve(self, item: Any, what: str) -> Node:
        if isinstance(item, str):
            return self.graph.get_tensor_by_name(item)
        if not isinstance(item, Node):
            raise TypeError(
                f"{what} {item!r} has invalid type {type(item).__name__}; it must be a graph node "
                "(a placeholder, variable, constant or operation) or a node's name"
            )
        if item.graph is not self.graph:
            raise ValueError(f"{what} '{item.name}' belongs to {item.graph}, but this session runs {self.graph}")
        return item

    def _rng_for(self, op: Operation) -> np.random.Generator:
        """Each random op draws from its own generator in this session; the same seeds restart the same sequence."""
        if op not in self._rngs:
            seed = op.attrs.get("seed")
            self._rngs[op] = np.random.default_rng(None if seed is None else list(seed))
        return self._rngs[op]

    # -- variables -----------------------------------------------------------------------------------------------

    def _initialize(self, variables: list[Variable]) -> None:
        for var in variables:
            if var not in self._values:
                initial = var.initial_array()
                if initial is None:
                    initial = self.run(var.initial_value)
                self._values[var] = _frozen(initial, var)
                self._forget_buffers(var)

    def _commit(self, var: Variable, value: Array) -> None:
        """Stores an update's result as `var`'s value; the value it replaces becomes the buffer for the next update.

        Only values this session made (update results) are recycled: an initial value may be shared with other
        sessions, and a fetched value is always handed out as a copy, so nothing else holds a recycled buffer.
        """
        old = self._values.get(var)
        self._values[var] = _frozen(value, var)
        if var in self._owned and old is not None and old is not value:
            old.setflags(write=True)  # setflags: half the cost of setting `flags.writeable`, paid at every commit
            self._spares[var] = old
        self._owned.add(var)

    def _forget_buffers(self, var: Variable) -> None:
        self._owned.discard(var)
        self._spares.pop(var, None)

    def load_variable(self, var: Variable, value: Any) -> None:
        """Sets `var` in this session to `value` (converted to its dtype, checked against its shape)."""
        # A copy: freezing the caller's own array would make it read-only for them.
        self._values[var] = _frozen(np.array(_convert_feed(var, value), copy=True), var)
        self._forget_buffers(var)

    # -- lifetime ------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the session's variables and plans; using it afterwards raises RuntimeError."""
        self._closed = True
        self._values.clear()
        self._spares.clear()
        self._plans.clear()

    def as_default(self) -> _DefaultSession:
        """`with sess.as_default():` makes `node.eval()` use this session."""
        return _DefaultSession(self)

    def __enter__(self) -> Session:
        self._default = _DefaultSession(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._default is not None:
            self._default.__exit__()
            self._default = None
        self.close()


class InteractiveSession(Session):
    """A session that makes itself the default when created, for notebooks and shells (TF-1)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        super().__init__(target, graph, config)
        _sessions().append(self)

    def close(self) -> None:
        if self in _sessions():
            _sessions().remove(self)
        super().close()


# --------------------------------------------------------------------------------------------------------------------
# Default session


_local = threading.local()


def _sessions() -> list[Session]:
    stack = getattr(_local, "sessions", None)
    if stack is None:
        stack = _local.sessions = []
    return stack


class _DefaultSession:
    def __init__(self, session: Session) -> None:
        self.session = session
        _sessions().append(session)

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc: object) -> None:
        stack = _sessions()
        if self.session in stack:
            stack.reverse()
            stack.remove(self.session)
            stack.reverse()


def get_default_session() -> Session | None:
    """The innermost session entered with `with`, or None (TF-1 `get_default_session`)."""
    stack = _sessions()
    return stack[-1] if stack else None


# --------------------------------------------------------------------------------------------------------------------
# Helpers for run


def _flatten(fetches: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """The leaves of a fetch structure, and a function that puts values back into that structure."""
    if isinstance(fetches, Node | str):
        return [fetches], _first
    leaves: list[Any] = []

    def walk(item: Any) -> Callable[[Any], Any]:
        if isinstance(item, Node | str):
            index = len(leaves)
            leaves.append(item)
            return lambda values: values[index]
        if isinstance(item, Mapping):
            builders = {k: walk(v) for k, v in item.items()}
            return lambda values: type(item)({k: b(values) for k, b in builders.items()})  # type: ignore[call-arg]
        if isinstance(item, list | tuple):
            builders_seq = [walk(v) for v in item]
            if hasattr(item, "_fields"):  # namedtuple
                return lambda values: type(item)(*(b(values) for b in builders_seq))
            return lambda values: type(item)(b(values) for b in builders_seq)
        raise TypeError(
            f"Fetch argument {item!r} has invalid type {type(item).__name__}; it must be a graph node "
            "(or a list, tuple or dict of them)"
        )

    return leaves, walk(fetches)


def _first(values: list[Any]) -> Any:
    return values[0]


def _convert_feed(node: Node, value: Any) -> Array:
    """The fed value as an array of the node's dtype, checked against its static shape."""
    dtype = node.dtype
    if type(value) is np.ndarray and (dtype is None or value.dtype == dtype):
        array = value
    else:
        try:
            array = np.asarray(value)
        except Exception as e:  # ragged nested lists, or an object whose own conversion fails
            raise errors.InvalidArgumentError(
                node, f"Cannot convert the value fed for '{node.name}' (which has {_declared(node)}) to an array: {e}"
            ) from None
        if array.dtype.kind not in "biuf":
            raise errors.InvalidArgumentError(
                node,
                f"Cannot feed a value of type {array.dtype} and shape {array.shape} ({_short(value)}) for "
                f"'{node.name}', which has {_declared(node)}",
            )
        if dtype is not None and array.dtype != dtype:
            if dtype.kind in "biu" and not _fits(array, dtype):
                raise errors.InvalidArgumentError(
                    node,
                    f"Cannot feed {array.dtype} values of shape {array.shape} ({_short(value)}) for '{node.name}', "
                    f"which has {_declared(node)}: they are not whole numbers that {dtype} can hold",
                )
            array = array.astype(dtype)
    shape = node.shape
    if shape is not None and (
        array.ndim != len(shape) or any(d is not None and d != a for d, a in zip(shape, array.shape, strict=True))
    ):
        raise errors.InvalidArgumentError(
            node, f"Cannot feed value of shape {array.shape} for '{node.name}', which has shape {format_shape(shape)}"
        )
    return array


def _declared(node: Node) -> str:
    return f"dtype {dtype_name(node.dtype)} and shape {format_shape(node.shape)}"


def _fits(array: Array, dtype: np.dtype) -> bool:
    """Whether converting `array` to the integer or bool `dtype` keeps every value (no fraction, wrap-around or NaN)."""
    if array.size == 0:
        return True
    if array.dtype.kind == "f" and not (np.isfinite(array).all() and np.array_equal(array, np.round(array))):
        return False
    if dtype.kind == "b":
        return bool(((array == 0) | (array == 1)).all())
    info = np.iinfo(dtype)
    return bool(info.min <= array.min() and array.max() <= info.max)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def _frozen(value: Any, var: Variable) -> Array:
    """A variable's stored value: an array of its dtype, read-only so no alias can change session state."""
    array = value if type(value) is np.ndarray and value.dtype == var.dtype else np.asarray(value, dtype=var.dtype)
    array.setflags(write=False)
    return array


def _changed(node: Node) -> tuple[Variable, ...]:
    """The variables an op changes: its first `opdef.updates` inputs, if it is an update; none otherwise."""
    if isinstance(node, Operation) and node.opdef.ref is not None:
        return node.inputs[: node.opdef.updates]
    return ()


def _writable(value: Any) -> Any:
    """Fetched arrays that belong to the session (variables, constants) are handed out as copies."""
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        return value.copy()
    return value


def _is_bias_add(node: Node) -> bool:
    """Whether `node` adds a vector to the rows of a matrix, as far as the static shapes and dtypes tell."""
    if node.type != "Add" or node.dtype is None or node.dtype.kind != "f":
        return False
    x, b = node.inputs
    return x.shape is not None and len(x.shape) == 2 and x.shape[1] is not None and b.shape == x.shape[1:]


def _writes_out(node: Node) -> bool:
    """Whether `node` is an op whose forward can write its result into a given array, and otherwise makes a new one
    that nothing else holds."""
    return isinstance(node, Operation) and (node.opdef.ufunc is not None or node.opdef.out)


def _can_hold(value: Node, result: Node) -> bool:
    """Whether `value`'s array may hold `result`: the same dtype, and static shapes that can be equal."""
    return value.dtype is not None and value.dtype == result.dtype and compatible(value.shape, result.shape)


def _into_input(ufunc: np.ufunc, i: int, *args: Any) -> Any:
    """`ufunc(*args)` written into `args[i]` when that array has the result's shape and dtype."""
    if type(args[i]) is np.ndarray:
        try:
            return ufunc(*args, out=args[i], casting="no")
        except (TypeError, ValueError):  # the result needs another shape or dtype (a broadcast, a promotion)
            pass
    return ufunc(*args)


def _forward_into_input(forward: Callable[..., Any], i: int, *args: Any, **attrs: Any) -> Any:
    """`forward(*args, **attrs)` written into `args[i]` (its `out=`) when that array has the result's shape."""
    if type(args[i]) is np.ndarray:
        try:
            return forward(*args, out=args[i], **attrs)
        except (TypeError, ValueError):  # the result needs another shape or dtype; numpy checked before writing
            pass
    return forward(*args, **attrs)


# Measured on float32 arrays: below 32 KiB a new array costs less than a call with out= (345 against 630 ns for 10
# elements); from 2 MiB up, the allocator hands freed arrays back to the operating system, and every run pays page
# faults for them again (the tutorial's float32 iteration: 2,600 faults, about 20 ms of 105 ms).
IN_PLACE_BYTES = 1 << 15
RECYCLE_BYTES = 1 << 21


def _smaller_than(node: Node, nbytes: int) -> bool:
    """Whether `node`'s static dtype and shape are known and make its value smaller than `nbytes`."""
    shape = node.shape
    if node.dtype is None or shape is None or None in shape:
        return False
    return node.dtype.itemsize * math.prod(shape) < nbytes


def _recycling(fn: Callable[..., Any], kept: dict[int, tuple[Any, Array]], slot: int, *args: Any, **attrs: Any) -> Any:
    """`fn(*args, **attrs)`, written into the array this step returned in an earlier run when that is safe.

    It is safe when the inputs have the shapes and dtypes they had then (so the result has that array's shape and
    dtype) and nothing else holds the array any more: not a caller who fetched it, a variable, or a view. The
    reference count tells, as it tells numpy when a temporary may be reused. Results of `RECYCLE_BYTES` or more are
    kept for the next run. `kept.pop` takes an array out, so two threads running one plan never share one.
    """
    entry = kept.pop(slot, None)
    if entry is not None:
        inputs, array = entry
        del entry
        if _references(array) == _SOLE_REFERENCES and inputs == _signature(args):
            result = fn(*args, out=array, **attrs)
            kept[slot] = (inputs, array)
            return result
        del array
    result = fn(*args, **attrs)
    if type(result) is np.ndarray and result.nbytes >= RECYCLE_BYTES:
        inputs = _signature(args)
        if inputs is not None:
            kept[slot] = (inputs, result)
    return result


def _signature(args: tuple[Any, ...]) -> list[tuple[tuple[int, ...], np.dtype]] | None:
    """The shape and dtype of each input, or None when one is not an array."""
    try:
        return [(a.shape, a.dtype) for a in args]
    except AttributeError:
        return None


def _references(array: Array) -> int:
    return sys.getrefcount(array)


def _sole_references() -> int:
    """What `_references` reports for an array that only a local variable of its caller holds, in `_recycling`'s
    circumstances. Measured once rather than assumed, as interpreters count borrowed references differently."""
    kept = {0: (None, np.empty(0))}
    entry = kept.pop(0)
    _inputs, array = entry
    del entry
    return _references(array)


_SOLE_REFERENCES = _sole_references()


def _non_finite(value: Any) -> bool:
    """Whether a step's output is a float array (or number) with a NaN or Inf in it, or a tuple holding one."""
    if type(value) is tuple:
        return any(_non_finite(v) for v in value)
    array = np.asarray(value) if value is not None else None
    return array is not None and array.dtype.kind == "f" and not np.isfinite(array).all()


def _summary(value: Any) -> str:
    """shape, dtype, NaN/Inf counts and the range of the finite values, for debug messages."""
    if value is None:
        return "no value"
    array = np.asarray(value)
    text = f"shape {array.shape} {array.dtype}"
    if array.dtype.kind != "f":
        return text
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    finite = array[np.isfinite(array)]
    text += f", {nan} NaN, {inf} Inf"
    if finite.size:
        text += f", finite values in [{finite.min():.4g}, {finite.max():.4g}] with mean {finite.mean():.4g}"
    return text
