"""The op registry: `defop` registers an op's forward function, `.defgrad` its gradient rule, `deffusion` a function
that runs two ops as one plan step, `public` marks the function a user calls. Nothing numeric here.

An `OpDef` is called like a function on nodes (or Python values) and adds an `Operation` to the graph. A plan later
calls `opdef.forward(*input_arrays, **attrs)`; `gradients` calls the rule registered for the op's type. `OPS`, the
table of op types by name, is defined in `graph.py` (whose operator overloads look ops up in it) and filled here.

The `OpDef` is plumbing: its call takes `(*inputs, name=None, **attrs)`. What a user calls and reads in `help()` is
each op's public face, a plain function with TF-1's signature and a docstring of its own that calls the op
(`matmul(a, b, transpose_a=False, ...)` calls `matmul_op(a, b, transpose_a=..., name=name)`), decorated with
`@public`.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from graphflow import dtypes
from graphflow.graph import common_graph, get_default_graph
from graphflow.nodes import OPS, Constant, Node, Operation, OpView

Array = np.ndarray
GradRule = Callable[[Operation, Node], Sequence["Node | None"]]
ShapeRule = Callable[..., Any]
DtypeRule = Callable[..., "np.dtype | None"]

GRADIENTS: dict[str, GradRule] = {}


def same_dtype(*input_dtypes: np.dtype | None, **attrs: Any) -> np.dtype | None:
    """The inputs' common dtype (None if only known at run time). Two different known dtypes are a TypeError."""
    known = {d for d in input_dtypes if d is not None}
    if len(known) > 1:
        raise TypeError(
            "inputs have different dtypes "
            + " and ".join(sorted(map(str, known)))
            + "; convert one with gf.cast(x, dtype)"
        )
    return known.pop() if known else None


@dataclass(eq=False)
class OpDef:
    """One op type: its forward numpy function and how to infer its output dtype and static shape.

    Attributes:
        name: op type in TF's CapWords spelling (`MatMul`).
        forward: `forward(*arrays, **attrs) -> array`, the function a plan calls.
        shape: `shape(*input_shapes, **attrs) -> shape`; input shapes are tuples with None for unknown dimensions, or
            None for an unknown rank. Raises ValueError for incompatible shapes. None: the output shape is unknown.
        dtype: `dtype(*input_dtypes, **attrs) -> dtype`; defaults to the inputs' common dtype.
        needs_rng: the forward takes `rng=` (a numpy Generator the session owns); the `seed` attr picks its seed.
        ref: for ops that change a variable (their first input): "write" when the forward ignores the old value
            (it may get None for a variable not yet initialised), "update" when it needs it.
        updates: with `ref`, how many leading inputs are variables the op changes (a fused optimizer update changes
            a variable and its slots). The forward gets one more argument per changed variable, a buffer it may
            write that variable's new value into (or None), and returns the new values: one array, or a tuple when
            it changes several. The op's own output is the first variable's new value.
        ufunc: set when the forward is exactly this numpy ufunc applied to the inputs; a plan may then have it
            write into an input whose last reader it is, instead of allocating.
        out: the forward takes `out=`, an array to write its result into, and otherwise returns a new array. Its
            first write into `out` must be a numpy call that checks shape and casting first, so that a forward that
            raises (TypeError, ValueError) has written nothing; the plan then calls it again without `out`. Like
            `ufunc`, it lets a plan write the result into an input the op reads last, or into the array the step
            returned in an earlier run, and later steps write into the result.
        into_inputs: with `out`, whether that array may be one of the op's inputs. False for `MatMul`: numpy cannot
            write a product over one of its factors without copying the factor first, so it would save nothing.
        views: the forward may return an input, or a view of one, instead of a new array.
        shape_of: the index of an input whose run-time shape the result always has (the forward checks it). A step
            that needs only the result's size (the count a mean divides by) then reads that input instead, and the
            op is not run for it.
        handles_dead: the forward takes `DEAD` inputs (the value of an op in the branch of a `gf.cond` that was not
            taken, see graphflow/ops/control_flow.py) and decides what to give. A step of any other op whose input
            may be DEAD is skipped when it is, and gives DEAD itself.
        programs: for an op that runs parts of the graph itself (a while loop's condition and body):
            `programs(op, compile) -> attrs` gives the attributes its forward takes, where `compile(fetches, feeds)`
            compiles the part that computes `fetches` from values for the nodes `feeds` into a function from those
            values to the fetched ones.
    """

    name: str
    forward: Callable[..., Any]
    shape: ShapeRule | None = None
    dtype: DtypeRule = same_dtype
    needs_rng: bool = False
    ref: str | None = None
    ufunc: np.ufunc | None = None
    views: bool = False
    updates: int = 1
    out: bool = False
    into_inputs: bool = True
    shape_of: int | None = None
    handles_dead: bool = False
    programs: Callable[..., dict[str, Any]] | None = None

    def __call__(self, *inputs: Any, name: str | None = None, **attrs: Any) -> Operation:
        graph = common_graph([x for x in inputs if isinstance(x, Node)], self.name)
        if graph.finalized:  # checked before constants are made for Python values, so the error names this op
            graph.refuse(f"{self.name} '{name or self.name}'")
        return Operation(self, convert_inputs(inputs, self.name), attrs, name=name)

    def infer(self, inputs: Sequence[Node], attrs: dict[str, Any]) -> tuple[np.dtype | None, Any]:
        dtype = self.dtype(*(x.dtype for x in inputs), **attrs)
        shape = self.shape(*(x.shape for x in inputs), **attrs) if self.shape is not None else None
        return dtype, shape

    @property
    def grad(self) -> GradRule | None:
        return GRADIENTS.get(self.name)

    def defgrad(self, rule: GradRule) -> GradRule:
        """Registers `rule(op, g) -> (gradient per input, ...)` as this op's gradient, written with graphflow ops."""
        GRADIENTS[self.name] = rule
        return rule


def defop(name: str, **options: Any) -> Callable[[Callable[..., Any]], OpDef]:
    """Decorator registering `forward` as op type `name`; returns the `OpDef`, which builds nodes when called.

    Args:
        name: the op type, in TF's CapWords spelling (`"MatMul"`); each may be registered once.
        **options: the `OpDef` fields after `forward` (`shape=`, `dtype=`, `ufunc=`, `out=`, ...).

    Returns:
        A decorator that takes `forward(*arrays, **attrs) -> array` and returns its `OpDef`; register the gradient
        with `@opdef.defgrad`.

    Raises:
        ValueError: `name` is already registered.

    Examples:
        `@gf.defop("MyCube")` over `def cube_op(x): return x**3`, then `@cube_op.defgrad` over
        `def _cube_grad(op, g): return (g * 3.0 * gf.square(op.inputs[0]),)`; `cube_op(x)` builds a node.
    """

    def register(forward: Callable[..., Any]) -> OpDef:
        if name in OPS:
            raise ValueError(f"op {name!r} is already registered")
        OPS[name] = OpDef(name, forward, **options)
        OPS[name].__doc__ = forward.__doc__
        return OPS[name]

    return register


F = TypeVar("F", bound=Callable[..., Any])


def public(fn: F | None = None, /, *, default_only: Sequence[str] = (), name: str | None = None) -> Any:
    """Decorator for the public face of an op: a plain function with TF-1's parameters, in TF-1's order.

    The function is returned wrapped only to explain bad calls: a call its signature does not accept raises
    TypeError naming the function, the close parameter name for a mistyped keyword, and the signature. `help()`
    and `inspect.signature` show the function itself.

    Args:
        fn: the function (when used as `@public` without arguments).
        default_only: TF-1 parameters graphflow accepts only at TF-1's default value (a feature it does not
            have, such as `layout`); any other value raises NotImplementedError naming the argument, rather than
            being ignored without a word.
        name: the TF-1 name, for a function whose Python name avoids shadowing a builtin (`round_` is `round`).

    Returns:
        The wrapped function, or a decorator when `fn` is None.
    """
    if fn is None:
        return lambda f: public(f, default_only=default_only, name=name)
    name = name or fn.__name__
    # help(), inspect.signature and the errors below show TF-1's plain signature; the annotations stay on `fn`,
    # for type checkers.
    signature = inspect.signature(fn)
    signature = signature.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    names = list(signature.parameters)
    unknown = set(default_only) - set(names)
    if unknown:
        raise ValueError(f"{name} has no parameter(s) {sorted(unknown)} to restrict to their default")
    fixed = [(p, names.index(p), signature.parameters[p].default) for p in default_only]

    def check_binding(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(_call_error(name, signature, kwargs, error)) from None

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        for param, index, default in fixed:
            value = kwargs[param] if param in kwargs else args[index] if index < len(args) else default
            if not _equal(value, default):
                check_binding(args, kwargs)  # a call that does not bind is reported as that first
                raise NotImplementedError(
                    f"{name}: {param}={value!r} is not supported by graphflow; leave it at TF-1's default "
                    f"{param}={default!r}"
                )
        try:
            return fn(*args, **kwargs)
        except TypeError:
            check_binding(args, kwargs)
            raise  # raised inside the function for another reason: keep it as it is

    call.__name__ = call.__qualname__ = name
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


def _equal(value: Any, default: Any) -> bool:
    try:
        return value is default or bool(value == default)
    except (TypeError, ValueError):  # an array compares elementwise: it is not a flag's default
        return False


def _call_error(name: str, signature: inspect.Signature, kwargs: dict[str, Any], error: TypeError) -> str:
    """`error` (from binding a call to `signature`) said with the function's name and the close parameter names."""
    message = f"{name}(): {error}"
    params = list(signature.parameters)
    named = [p for p, v in signature.parameters.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]
    hint = ""
    if named and "positional argument" in str(error):
        hint = f"\n    call it with named arguments: {name}(" + ", ".join(f"{p}=..." for p in named[:2]) + ")"
    for keyword in kwargs:
        if keyword not in signature.parameters:
            close = difflib.get_close_matches(keyword, params, n=1)
            if close:
                message += f"; did you mean '{close[0]}'?"
    return f"{message}\n    signature: {name}{signature}{hint}"


class RegisterGradient:
    """TF-1's decorator: `@gf.RegisterGradient("MySquare")` registers `rule(op, grad)` under a gradient type name.

    Use it with `graph.gradient_override_map({"Square": "MySquare"})` to replace the gradient of ops built inside.
    """

    def __init__(self, op_type: str) -> None:
        if not isinstance(op_type, str):
            raise TypeError(f"RegisterGradient expects an op type name (str), got {type(op_type).__name__}")
        self.op_type = op_type

    def __call__(self, rule: GradRule) -> GradRule:
        if self.op_type in GRADIENTS:
            raise KeyError(f"a gradient for op type '{self.op_type}' is already registered")
        GRADIENTS[self.op_type] = rule
        return rule


@dataclass(frozen=True)
class Fusion:
    """Two ops a plan runs as one step: `outer(inner(*a), *c)` computed as `fn(*a, *c)`.

    A plan fuses them when the inner op's result is read by the outer op alone (as its first input) and by nothing
    after the run, and `applies(inner)` holds for the inner operation node (for static shapes and dtypes). `fn` must
    give the two ops' values, and takes `out=` exactly when the outer op is registered with `out=True`, since the
    fused step is planned as the outer op's.
    """

    inner: str
    outer: str
    fn: Callable[..., Any]
    applies: Callable[[Operation], bool]


FUSIONS: dict[str, list[Fusion]] = {}  # by the outer op's type


def deffusion(
    inner: OpDef, outer: OpDef, *, applies: Callable[[Operation], bool]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering `fn` as the one-step form of `outer(inner(...))`; returns `fn` unchanged."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        FUSIONS.setdefault(outer.name, []).append(Fusion(inner.name, outer.name, fn, applies))
        return fn

    return register


def gradient_rule(op: Operation) -> GradRule:
    """The rule to differentiate `op`, honouring `gradient_override_map`.

    Raises:
        LookupError: no rule is registered for the op's (overridden) type.
    """
    rule = GRADIENTS.get(op.grad_type)
    if rule is None:
        override = f" (overridden to '{op.grad_type}')" if op.grad_type != op.type else ""
        raise LookupError(
            f"No gradient defined for operation '{op.op_name}' (op type: {op.type}){override}. It lies on the path "
            "from xs to ys: register one with @gf.RegisterGradient, or cut the path with gf.stop_gradient."
        )
    return rule


# --------------------------------------------------------------------------------------------------------------------
# Turning Python values into nodes


def constant(
    value: Any, dtype: Any = None, shape: Any = None, name: str | None = None, verify_shape: bool = False
) -> Constant:
    """A node with a fixed value (TF-1 `tf.constant`). Python floats become float32, ints int32; arrays keep theirs.

    Args:
        value: a number, nested list or ndarray.
        dtype: converts the value; a float value into an integer dtype raises TypeError.
        shape: if given, the value (a scalar or a matching array) is broadcast to it.
        name: the node's name ("Const" by default).
        verify_shape: require `value` to have `shape` exactly, instead of broadcasting it.

    Returns:
        A constant node (its value lives in the graph; running it gives a copy).

    Raises:
        TypeError: a value that is not numeric, or floats for an integer dtype.
        ValueError: a value that cannot fill `shape`.

    Examples:
        >>> gf.Session().run(gf.constant(0.5, shape=[2]))
        array([0.5, 0.5], dtype=float32)
    """
    if verify_shape and shape is not None and np.shape(value) != tuple(shape):
        raise ValueError(f"constant: the value has shape {np.shape(value)}, not the shape {tuple(shape)} given")
    dtype = dtypes.as_dtype(dtype)
    if _is_text(value) and dtype in (None, dtypes.string):
        array = _bytes_array(value)  # TF-1's string tensors hold bytes: sess.run gives b'Hello'
    else:
        array = to_array(value, dtype if dtype is not None else dtypes.default_dtype(value), "constant")
    if shape is not None:
        try:
            array = np.array(np.broadcast_to(array, tuple(shape)))
        except ValueError:
            raise ValueError(f"constant: a value of shape {array.shape} cannot fill shape {tuple(shape)}") from None
    graph = get_default_graph()
    if graph._control:
        # Inside `control_dependencies` the value must wait for the dependencies, and a constant is no step of the
        # plan: an Identity op of that name carries them, and the value is its input.
        full = graph.unique_name(name or "Const")
        with graph.name_scope(full + "/"):
            value_node = Constant(graph, graph.unique_name("value"), array, array.dtype)
        return OPS["Identity"](value_node, name=full + "/")  # a name ending in "/" is taken as it is
    return Constant(graph, graph.unique_name(name or "Const"), array, array.dtype)


def to_array(value: Any, dtype: np.dtype, what: str) -> Array:
    """`np.asarray(value, dtype)` that refuses to truncate floats into integers or to parse strings."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: cannot convert {_describe(value)} to {dtype}")
    if array.dtype.kind == "f" and dtype.kind in "biu":
        raise TypeError(f"{what}: expected {dtype}, got {_describe(value)} of type {array.dtype}")
    return array.astype(dtype, copy=False)


def _is_text(value: Any) -> bool:
    return isinstance(value, str | bytes) or (
        isinstance(value, list | tuple | np.ndarray) and np.asarray(value).dtype.kind in "US"
    )


def _bytes_array(value: Any) -> Array:
    text = np.asarray(value)
    encoded = np.empty(text.shape, dtype=object)
    for i in np.ndindex(text.shape):
        item = text[i].item()
        encoded[i] = item.encode() if isinstance(item, str) else item
    return encoded


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def convert_inputs(inputs: Sequence[Any], what: str) -> tuple[Node, ...]:
    """Nodes stay; Python numbers, lists and arrays become constants of their node partners' dtype (TF-1 rule).

    When every partner's dtype is only known at run time, a Python number stays a plain number ("weak"), so numpy
    keeps the partner's precision instead of promoting float32 to float64.
    """
    if all(isinstance(x, Node) for x in inputs):
        return tuple(inputs)
    inputs = [x.node if isinstance(x, OpView) else x for x in inputs]  # `group(train.op)`
    nodes = [x for x in inputs if isinstance(x, Node)]
    graph = common_graph(nodes, what)
    known = [x.dtype for x in nodes if x.dtype is not None]
    converted = []
    for x in inputs:
        if isinstance(x, Node):
            converted.append(x)
            continue
        if known:
            value, dtype = to_array(x, known[0], what), known[0]
        elif nodes and isinstance(x, int | float | np.number) and not isinstance(x, bool):
            value, dtype = (float(x) if isinstance(x, float | np.floating) else int(x)), None
        else:
            dtype = dtypes.default_dtype(x)
            value = to_array(x, dtype, what)
        converted.append(Constant(graph, graph.unique_name("Const"), value, dtype))
    return tuple(converted)


def as_node(
    value: Any, dtype: Any = None, name: str | None = None, preferred_dtype: Any = None, dtype_hint: Any = None
) -> Node:
    """`value` if it is a node, else a constant of `dtype` (TF-1 `convert_to_tensor`).

    Args:
        value: a node, number, nested list or array.
        dtype: the dtype the result must have; a node of another dtype raises TypeError.
        name: the constant's name, when one is made.
        preferred_dtype: the constant's dtype when `dtype` is None (TF-1's soft request; a node keeps its own).
        dtype_hint: TF-1's newer name for `preferred_dtype`.

    Returns:
        A node.

    Examples:
        >>> gf.convert_to_tensor([1, 2], preferred_dtype=gf.float64).dtype
        dtype('float64')
    """
    if dtype is None and not isinstance(value, Node | OpView):
        dtype = preferred_dtype if preferred_dtype is not None else dtype_hint
    if isinstance(value, OpView):
        value = value.node
    if isinstance(value, Node):
        dtype = dtypes.as_dtype(dtype)
        if dtype is not None and value.dtype is not None and value.dtype != dtype:
            raise TypeError(f"'{value.op_name}' has dtype {value.dtype}, expected {dtype}")
        return value
    return constant(value, dtype=dtype, name=name)
