"""Sessions run graphs and own the variables' values (TF-1 `tf.Session`).

A session compiles each distinct request (fetches and feed keys) into a `Plan` once (`graphflow/plan/`) and replays
it. Who owns which array is fixed:

- A variable's value belongs to the session. It is a read-only array that is never written again: an update writes
  its new value into another array, which the session stores when the run succeeds.
- The value an update replaced becomes the spare array the variable's next update writes into, but only when no
  other run was in flight, so nothing can still be reading it.
- An array a run made belongs to that run, and to the caller once fetched: no later run writes into it. A fetch that
  may be session state (a variable's value, a constant, a committed update) is handed out as a copy.

So one session may be used by many threads at once, as in TF-1: each run reads a consistent snapshot of the
variables, taken under the session's lock, and commits its updates under it (concurrent training steps are
"Hogwild": each applies its own update to the values it read, and none is ever torn). An interrupt (Ctrl-C) lands
before a run's commit, and the run changes nothing, or after it, and the run applied whole (see `Session._commit`).
"""

from __future__ import annotations

import gc
import threading
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphflow import errors, threads
from graphflow.defaults import SESSIONS, AsDefault
from graphflow.graph import Graph, get_default_graph
from graphflow.nodes import Node, Operation, OpView
from graphflow.ops.control_flow import DEAD
from graphflow.plan import Plan, compile_plan, execute
from graphflow.run_args import convert_feed, flatten
from graphflow.variables import Variable

Array = np.ndarray
GROWTH_WARNING_RUNS = 10
CLOSED = "Attempted to use a closed Session."  # TF-1's words


class GraphGrowthWarning(UserWarning):
    """A training loop keeps adding nodes to the graph (TF-1's most common slowdown)."""


class Session:
    """Runs a graph and holds its variables' values (TF-1 `tf.Session`).

    Args:
        target: accepted for TF-1 compatibility; graphflow runs in this process only and it must be empty.
        graph: the graph to run; the default graph when None.
        config: a `gf.ConfigProto`; its `intra_op_parallelism_threads` fixes how many threads each matrix product
            uses (0, the default: graphflow chooses from the cores other programs leave free, see graphflow/threads.py).
            Its other fields are accepted for TF-1 compatibility; graphflow has no devices to configure.
        debug_nans: check every op's output during each run and stop at the first that holds NaN or Inf, naming
            the op, its type and a summary of its inputs. Off by default; when off it costs nothing.
    """

    def __init__(
        self, target: str = "", graph: Graph | None = None, config: Any = None, *, debug_nans: bool = False
    ) -> None:
        if target:
            raise ValueError(f"Session(target={target!r}): graphflow runs in-process only; leave target empty")
        self.graph = graph if graph is not None else get_default_graph()
        self.debug_nans = debug_nans
        self._intra_op, self._inter_op = threads.session_threads(config)
        self._values: dict[Variable, Array] = {}
        self._spares: dict[Variable, Array] = {}  # an array per variable for its next update to write into
        self._shared: set[Variable] = set()  # variables whose current value others may hold: never written into
        self._running: set[object] = set()  # runs between their snapshot of the variables and their commit
        self._plans: dict[Any, Plan] = {}
        self._rngs: dict[Operation, np.random.Generator] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._default: AsDefault | None = None
        self._graph_size = -1  # nodes in the graph at the previous run, to notice a loop that keeps adding nodes
        self._growth_streak = 0

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._values)} variables set, {len(self._plans)} plans"
        return f"<gf.Session on graph #{self.graph.serial}: {state}{', debug_nans' if self.debug_nans else ''}>"

    def _repr_html_(self) -> str:
        """In a notebook: the repr's facts as a small table."""
        rows = {
            "graph": f"#{self.graph.serial}, {len(self.graph._nodes)} nodes",
            "variables with a value": len(self._values),
            "compiled plans": len(self._plans),
            "debug_nans": self.debug_nans,
            "closed": self._closed,
        }
        cells = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in rows.items())
        return f"<table><caption>gf.Session</caption>{cells}</table>"

    # -- running -------------------------------------------------------------------------------------------------

    def run(self, fetches: Any, feed_dict: Mapping | None = None, options: Any = None, run_metadata: Any = None) -> Any:
        """Computes `fetches` (a node, or a list, tuple, dict or nesting of them) and returns values in that structure.

        Args:
            fetches: nodes (or node names) to compute. An op with no output (a train op) fetches as None.
            feed_dict: values for placeholders, or for any other node to override it in this run. Values may be
                numpy arrays, lists or numbers; they are converted to the node's dtype and checked against its shape.

        Returns:
            Arrays that belong to the caller: nothing the session does later changes them.

        Raises:
            TypeError: a fetch or feed key is not a graph node.
            ValueError: a node belongs to another graph.
            gf.errors.InvalidArgumentError: a placeholder is not fed, a feed has the wrong shape or type, or an op
                failed; the message names the node. Variables are left as they were before the run.
        """
        if self._closed:
            raise RuntimeError(CLOSED)
        threads.POLICY.before_run(self._intra_op)
        if len(self.graph._nodes) != self._graph_size:
            self._note_growth()
        elif self._growth_streak:
            self._growth_streak = 0
        feed_dict = feed_dict or {}
        flat, rebuild = flatten(fetches)
        # A debugging plan differs (each op its own step), so turning `debug_nans` on compiles anew.
        key = (tuple(flat), frozenset(feed_dict), self.debug_nans)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(key, flat, list(feed_dict))
        feeds = [convert_feed(node, feed_dict[k]) for _, node, k in plan.feeds]
        if plan.uninitialized:
            with self._lock:  # threads starting together initialise each variable once
                self._initialize(plan.uninitialized)
                plan.uninitialized = []
        stateful = plan.variables or plan.commits  # a run that reads no variable needs no snapshot
        token = None
        try:
            if stateful:
                token = object()  # this run, in `_running` from its snapshot of the variables to its commit
                with self._lock:  # a snapshot no commit can interleave with
                    env = execute.fresh_env(plan, self._values, self._spares, feeds)
                    self._running.add(token)
            else:
                env = execute.fresh_env(plan, self._values, self._spares, feeds)
            (execute.run_checked if self.debug_nans else execute.run)(plan, env)
            results = [env[s] for s in plan.fetch_slots]
            if plan.conditional:  # a cond branch that did not run leaves DEAD where its ops' values would be
                _refuse_dead_fetches(plan, results)
            for i in plan.ops_fetched:
                results[i] = None
            for i in plan.fetch_copies:  # before the commit: until then, no other run recycles what they copy
                if type(results[i]) is np.ndarray:
                    results[i] = results[i].copy()
            if stateful:
                # An update in a branch that did not run leaves its variable as it was.
                self._commit(token, [(var, _frozen(env[s], var)) for var, s in plan.commits if env[s] is not DEAD])
        except BaseException:  # an op's error, or an interrupt (Ctrl-C) landing anywhere in the run
            # One call, which no interrupt can split, and no lock, whose wait an interrupt could cut short.
            self._running.discard(token)
            raise
        threads.POLICY.after_run()
        return rebuild(results)

    def _commit(self, token: object, updates: list[tuple[Variable, Array]]) -> None:
        """Stores the run's new values. The values they replace become spares only if no other run is in flight:
        then nothing can still be reading them, since fetched values were handed out as copies.

        A signal handler (Ctrl-C's KeyboardInterrupt) runs between bytecodes, never inside a call to a builtin. So
        the values are stored by one such call: an interrupt lands before it (the run changes nothing) or after (the
        run applied whole), never between two variables' updates; TF-1 likewise raises it after the run returns.
        """
        with self._lock:
            self._running.discard(token)
            values, shared = self._values, self._shared
            reusable = []
            if not self._running:
                for var, value in updates:
                    old = values.get(var)
                    if old is not None and old is not value and var not in shared:
                        reusable.append((var, old))
            values.update(updates)
            # From here on, an interrupt costs a later update the reuse of an array, nothing more.
            if shared:
                shared.difference_update([var for var, _ in updates])
            for var, old in reusable:
                old.setflags(write=True)  # setflags: half the cost of setting `flags.writeable`
                self._spares[var] = old

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
        fetched = [self.graph.as_graph_element(f) if isinstance(f, str) else f for f in flat]
        fetch_nodes = [self._resolve(f, "Fetch") for f in fetched]
        feed_nodes = [self._resolve(k, "Feed key") for k in feed_keys]
        with self._lock:  # threads asking for the same new request at once compile it once
            plan = self._plans.get(key)
            if plan is None:
                # Compiling makes many small objects; a collection pass over a big graph meanwhile would cost more
                # than the compile itself, and finds nothing to free.
                collecting = gc.isenabled()
                gc.disable()
                try:
                    plan = compile_plan(fetch_nodes, feed_keys, feed_nodes, self._rng_for, debug=self.debug_nans)
                finally:
                    if collecting:
                        gc.enable()
                plan.ops_fetched = tuple(i for i, f in enumerate(fetched) if isinstance(f, OpView))
                self._plans[key] = plan
        return plan

    def plan_for(self, fetches: Any, feed_dict: Mapping | None = None) -> Plan:
        """The plan this session runs for `fetches` and the keys of `feed_dict` (compiled now if it is new), for
        reading or printing: `print(sess.plan_for(train_op, feed))`."""
        flat, _ = flatten(fetches)
        feed_dict = feed_dict or {}
        key = (tuple(flat), frozenset(feed_dict), self.debug_nans)
        return self._plans.get(key) or self._compile(key, flat, list(feed_dict))

    def _resolve(self, item: Any, what: str) -> Node:
        if isinstance(item, str):  # a feed key: fetched names were looked up already
            return self.graph.get_tensor_by_name(item)
        if isinstance(item, OpView):
            item = item.node
        if not isinstance(item, Node):
            raise TypeError(
                f"{what} {item!r} has invalid type {type(item).__name__}; it must be a graph node "
                "(a placeholder, variable, constant or operation) or a node's name"
            )
        if item.graph is not self.graph:
            raise ValueError(f"{what} '{item.op_name}' belongs to {item.graph}, but this session runs {self.graph}")
        return item

    def _rng_for(self, op: Operation) -> np.random.Generator:
        """Each random op draws from its own generator in this session; the same seeds restart the same sequence."""
        if op not in self._rngs:
            seed = op.attrs.get("seed")
            self._rngs[op] = np.random.default_rng(None if seed is None else list(seed))
        return self._rngs[op]

    # -- variables -----------------------------------------------------------------------------------------------

    def _initialize(self, variables: list[Variable]) -> None:
        pending = [var for var in variables if var not in self._values]
        initial = {var: var.initial_array() for var in pending}
        computed = [var for var in pending if initial[var] is None]
        if computed:  # in one run, so an initial value that several variables share is drawn once
            initial.update(zip(computed, self.run([var.initial_value for var in computed]), strict=True))
        for var in pending:
            if var not in self._values:  # an initial value that reads another variable initialised that one
                self._store(var, _frozen(initial[var], var))  # an initial array is shared by sessions

    def load_variable(self, var: Variable, value: Any) -> None:
        """Sets `var` in this session to `value` (converted to its dtype, checked against its shape).

        Raises:
            RuntimeError: the session is closed.
        """
        # A copy: freezing the caller's own array would make it read-only for them.
        array = _frozen(np.array(convert_feed(var, value), copy=True), var)
        with self._lock:  # checked under the lock, so that a value can never land after close() cleared them
            if self._closed:
                raise RuntimeError(CLOSED)
            self._store(var, array)

    def _store(self, var: Variable, value: Array) -> None:
        """Sets a value the session may not write into. In this order, so that an interrupt midway never leaves a
        shared array unmarked."""
        self._shared.add(var)
        self._spares.pop(var, None)
        self._values[var] = value

    # -- lifetime ------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the session's variables and plans; using it afterwards raises RuntimeError."""
        self._closed = True
        with self._lock:
            self._values.clear()
            self._spares.clear()
            self._plans.clear()

    def as_default(self) -> AsDefault[Session]:
        """`with sess.as_default():` makes `node.eval()` use this session."""
        return AsDefault(SESSIONS, self)

    def __enter__(self) -> Session:
        self._default = AsDefault(SESSIONS, self)
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
        SESSIONS.push(self)

    def close(self) -> None:
        SESSIONS.discard(self)
        super().close()


def get_default_session() -> Session | None:
    """The innermost session entered with `with`, or None (TF-1 `get_default_session`).

    Returns:
        A `gf.Session`, or None.

    Examples:
        >>> with gf.Session() as sess:
        ...     gf.get_default_session() is sess
        True
    """
    return SESSIONS.top()


def _refuse_dead_fetches(plan: Plan, results: list[Any]) -> None:
    dead = [plan.node_at(s) for s, r in zip(plan.fetch_slots, results, strict=True) if r is DEAD]
    if dead:
        raise errors.InvalidArgumentError(
            dead[0],
            f"'{dead[0].op_name}' was fetched, but it is built in a gf.cond branch that this run did not take, so "
            "it has no value. Fetch the cond's result instead. No variable was changed.",
        )


def _frozen(value: Any, var: Variable) -> Array:
    """A variable's stored value: an array of its dtype, read-only so no alias can change session state."""
    array = value if type(value) is np.ndarray and value.dtype == var.dtype else np.asarray(value, dtype=var.dtype)
    array.setflags(write=False)
    return array
