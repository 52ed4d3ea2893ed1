"""The API explains itself: every public name has TF-1's signature and a docstring of its own, each public module
lists its API in `__all__` and shows only that, a star import keeps Python's built-ins, and a bad call names the
function."""

from __future__ import annotations

import builtins
import doctest
import inspect
import pydoc
import re
import types

import numpy as np
import pytest

import graphflow as gf
import graphflow.compat.v1
import graphflow.datasets
import graphflow.viz
from graphflow.registry import OpDef

PUBLIC = [
    gf, gf.nn, gf.train, gf.layers, gf.losses, gf.initializers, gf.summary, gf.data, gf.datasets, gf.datasets.mnist,
    gf.datasets.xor, gf.viz, gf.debugging, gf.dtypes, gf.errors, gf.logging, gf.app, gf.gfile, gf.math, gf.metrics,
    graphflow.compat.v1,
]  # fmt: skip
PUBLIC_MODULES = {m.__name__ for m in PUBLIC} | {"graphflow.compat"}

# Parameter names, in order, of the covered functions and classes (constructors). Taken from TensorFlow 2.21's
# `tensorflow.compat.v1` with `inspect.signature`; where graphflow supports a subset of TF-1's parameters, the
# entry lists that subset, still in TF-1's order (see `test_signatures_are_tf1s_where_tensorflow_is_installed`).
TF1_PARAMETERS = {
    "Graph": (),
    "InteractiveSession": ("target", "graph", "config"),
    "RegisterGradient": ("op_type",),
    "Variable": (
        "initial_value",
        "trainable",
        "collections",
        "validate_shape",
        "caching_device",
        "name",
        "variable_def",
        "dtype",
        "expected_shape",
        "import_scope",
        "constraint",
        "use_resource",
        "synchronization",
        "aggregation",
        "shape",
    ),
    "add": ("x", "y", "name"),
    "add_n": ("inputs", "name"),
    "add_to_collection": ("name", "value"),
    "argmax": ("input", "axis", "name", "dimension", "output_type"),
    "argmin": ("input", "axis", "name", "dimension", "output_type"),
    "as_dtype": ("type_value",),
    "assign": ("ref", "value", "validate_shape", "use_locking", "name"),
    "assign_add": ("ref", "value", "use_locking", "name"),
    "assign_sub": ("ref", "value", "use_locking", "name"),
    "cast": ("x", "dtype", "name"),
    "check_numerics": ("tensor", "message", "name"),
    "clip_by_value": ("t", "clip_value_min", "clip_value_max", "name"),
    "concat": ("values", "axis", "name"),
    "cond": ("pred", "true_fn", "false_fn", "strict", "name", "fn1", "fn2"),
    "constant": ("value", "dtype", "shape", "name", "verify_shape"),
    "constant_initializer": ("value", "dtype"),
    "control_dependencies": ("control_inputs",),
    "convert_to_tensor": ("value", "dtype", "name", "preferred_dtype", "dtype_hint"),
    "count_nonzero": ("input_tensor", "axis", "keepdims", "dtype", "name", "reduction_indices", "keep_dims"),
    "divide": ("x", "y", "name"),
    "equal": ("x", "y", "name"),
    "exp": ("x", "name"),
    "expand_dims": ("input", "axis", "name", "dim"),
    "fill": ("dims", "value", "name"),
    "floor": ("x", "name"),
    "floordiv": ("x", "y", "name"),
    "floormod": ("x", "y", "name"),
    "gather": ("params", "indices", "validate_indices", "name", "axis", "batch_dims"),
    "get_collection": ("key", "scope"),
    "get_default_graph": (),
    "get_default_session": (),
    "get_variable": (
        "name",
        "shape",
        "dtype",
        "initializer",
        "regularizer",
        "trainable",
        "collections",
        "caching_device",
        "partitioner",
        "validate_shape",
        "use_resource",
        "custom_getter",
        "constraint",
        "synchronization",
        "aggregation",
    ),
    "get_variable_scope": (),
    "global_variables": ("scope",),
    "global_variables_initializer": (),
    "glorot_normal_initializer": ("seed", "dtype"),
    "glorot_uniform_initializer": ("seed", "dtype"),
    "gradients": (
        "ys",
        "xs",
        "grad_ys",
        "name",
        "colocate_gradients_with_ops",
        "gate_gradients",
        "aggregation_method",
        "stop_gradients",
        "unconnected_gradients",
    ),
    "greater": ("x", "y", "name"),
    "greater_equal": ("x", "y", "name"),
    "identity": ("input", "name"),
    "less": ("x", "y", "name"),
    "less_equal": ("x", "y", "name"),
    "log": ("x", "name"),
    "log1p": ("x", "name"),
    "logical_and": ("x", "y", "name"),
    "logical_not": ("x", "name"),
    "logical_or": ("x", "y", "name"),
    "matmul": ("a", "b", "transpose_a", "transpose_b", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse", "name"),
    "maximum": ("x", "y", "name"),
    "minimum": ("x", "y", "name"),
    "mod": ("x", "y", "name"),
    "multiply": ("x", "y", "name"),
    "name_scope": ("name", "default_name", "values"),
    "negative": ("x", "name"),
    "no_op": ("name",),
    "not_equal": ("x", "y", "name"),
    "one_hot": ("indices", "depth", "on_value", "off_value", "axis", "dtype", "name"),
    "ones": ("shape", "dtype", "name", "layout"),
    "ones_initializer": ("dtype",),
    "ones_like": ("tensor", "dtype", "name", "optimize"),
    "placeholder": ("dtype", "shape", "name"),
    "placeholder_with_default": ("input", "shape", "name"),
    "random_normal": ("shape", "mean", "stddev", "dtype", "seed", "name"),
    "random_normal_initializer": ("mean", "stddev", "seed", "dtype"),
    "random_uniform": ("shape", "minval", "maxval", "dtype", "seed", "name"),
    "random_uniform_initializer": ("minval", "maxval", "seed", "dtype"),
    "rank": ("input", "name"),
    "realdiv": ("x", "y", "name"),
    "reciprocal": ("x", "name"),
    "reduce_all": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reduce_any": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reduce_max": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reduce_mean": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reduce_min": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reduce_prod": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reduce_sum": ("input_tensor", "axis", "keepdims", "name", "reduction_indices", "keep_dims"),
    "reset_default_graph": (),
    "reshape": ("tensor", "shape", "name"),
    "rsqrt": ("x", "name"),
    "set_random_seed": ("seed",),
    "shape": ("input", "name", "out_type"),
    "sigmoid": ("x", "name"),
    "sign": ("x", "name"),
    "size": ("input", "name", "out_type"),
    "sqrt": ("x", "name"),
    "square": ("x", "name"),
    "squared_difference": ("x", "y", "name"),
    "squeeze": ("input", "axis", "name", "squeeze_dims"),
    "stack": ("values", "axis", "name"),
    "stop_gradient": ("input", "name"),
    "strided_slice": (
        "input_",
        "begin",
        "end",
        "strides",
        "begin_mask",
        "end_mask",
        "ellipsis_mask",
        "new_axis_mask",
        "shrink_axis_mask",
        "var",
        "name",
    ),
    "subtract": ("x", "y", "name"),
    "tanh": ("x", "name"),
    "tile": ("input", "multiples", "name"),
    "trainable_variables": ("scope",),
    "transpose": ("a", "perm", "name", "conjugate"),
    "truediv": ("x", "y", "name"),
    "truncated_normal": ("shape", "mean", "stddev", "dtype", "seed", "name"),
    "truncated_normal_initializer": ("mean", "stddev", "seed", "dtype"),
    "unstack": ("value", "num", "axis", "name"),
    "variable_scope": (
        "name_or_scope",
        "default_name",
        "values",
        "initializer",
        "regularizer",
        "reuse",
        "dtype",
        "auxiliary_name_scope",
    ),
    "variables_initializer": ("var_list", "name"),
    "variance_scaling_initializer": ("scale", "mode", "distribution", "seed", "dtype"),
    "where": ("condition", "x", "y", "name"),
    "while_loop": (
        "cond",
        "body",
        "loop_vars",
        "shape_invariants",
        "parallel_iterations",
        "back_prop",
        "swap_memory",
        "name",
        "maximum_iterations",
        "return_same_structure",
    ),
    "zeros": ("shape", "dtype", "name", "layout"),
    "zeros_initializer": ("dtype",),
    "zeros_like": ("tensor", "dtype", "name", "optimize"),
    "nn.batch_normalization": ("x", "mean", "variance", "offset", "scale", "variance_epsilon", "name"),
    "nn.bias_add": ("value", "bias", "data_format", "name"),
    "nn.dropout": ("x", "keep_prob", "noise_shape", "seed", "name", "rate"),
    "nn.elu": ("features", "name"),
    "nn.l2_loss": ("t", "name"),
    "nn.l2_normalize": ("x", "axis", "epsilon", "name", "dim"),
    "nn.leaky_relu": ("features", "alpha", "name"),
    "nn.log_softmax": ("logits", "axis", "name", "dim"),
    "nn.moments": ("x", "axes", "shift", "name", "keep_dims", "keepdims"),
    "nn.relu": ("features", "name"),
    "nn.relu6": ("features", "name"),
    "nn.sigmoid": ("x", "name"),
    "nn.sigmoid_cross_entropy_with_logits": ("labels", "logits", "name"),
    "nn.softmax": ("logits", "axis", "name", "dim"),
    "nn.softmax_cross_entropy_with_logits": ("labels", "logits", "dim", "name", "axis"),
    "nn.softmax_cross_entropy_with_logits_v2": ("labels", "logits", "axis", "name", "dim"),
    "nn.softplus": ("features", "name"),
    "nn.sparse_softmax_cross_entropy_with_logits": ("labels", "logits", "name"),
    "nn.tanh": ("x", "name"),
    "train.AdagradOptimizer": ("learning_rate", "initial_accumulator_value", "use_locking", "name"),
    "train.AdamOptimizer": ("learning_rate", "beta1", "beta2", "epsilon", "use_locking", "name"),
    "train.ExponentialMovingAverage": ("decay", "num_updates", "zero_debias", "name"),
    "train.GradientDescentOptimizer": ("learning_rate", "use_locking", "name"),
    "train.MomentumOptimizer": ("learning_rate", "momentum", "use_locking", "name", "use_nesterov"),
    "train.RMSPropOptimizer": ("learning_rate", "decay", "momentum", "epsilon", "use_locking", "centered", "name"),
    "train.Saver": (
        "var_list",
        "reshape",
        "sharded",
        "max_to_keep",
        "keep_checkpoint_every_n_hours",
        "name",
        "allow_empty",
        "pad_step_number",
        "save_relative_paths",
    ),
    "train.create_global_step": ("graph",),
    "train.exponential_decay": ("learning_rate", "global_step", "decay_steps", "decay_rate", "staircase", "name"),
    "train.get_checkpoint_state": ("checkpoint_dir", "latest_filename"),
    "train.get_global_step": ("graph",),
    "train.get_or_create_global_step": ("graph",),
    "train.inverse_time_decay": ("learning_rate", "global_step", "decay_steps", "decay_rate", "staircase", "name"),
    "train.latest_checkpoint": ("checkpoint_dir", "latest_filename"),
    "train.list_variables": ("ckpt_dir_or_file",),
    "train.load_variable": ("ckpt_dir_or_file", "name"),
    "train.natural_exp_decay": ("learning_rate", "global_step", "decay_steps", "decay_rate", "staircase", "name"),
    "train.piecewise_constant": ("x", "boundaries", "values", "name"),
    "train.polynomial_decay": (
        "learning_rate",
        "global_step",
        "decay_steps",
        "end_learning_rate",
        "power",
        "cycle",
        "name",
    ),
    "losses.compute_weighted_loss": ("losses", "weights", "scope", "loss_collection", "reduction"),
    "losses.get_losses": ("scope", "loss_collection"),
    "losses.get_total_loss": ("add_regularization_losses", "name", "scope"),
    "losses.mean_squared_error": ("labels", "predictions", "weights", "scope", "loss_collection", "reduction"),
    "losses.sigmoid_cross_entropy": (
        "multi_class_labels",
        "logits",
        "weights",
        "label_smoothing",
        "scope",
        "loss_collection",
        "reduction",
    ),
    "losses.softmax_cross_entropy": (
        "onehot_labels",
        "logits",
        "weights",
        "label_smoothing",
        "scope",
        "loss_collection",
        "reduction",
    ),
    "losses.sparse_softmax_cross_entropy": ("labels", "logits", "weights", "scope", "loss_collection", "reduction"),
    "summary.FileWriter": ("logdir", "graph", "max_queue", "flush_secs", "graph_def", "filename_suffix", "session"),
    "summary.histogram": ("name", "values", "collections", "family"),
    "summary.merge": ("inputs", "collections", "name"),
    "summary.merge_all": ("key", "scope", "name"),
    "summary.scalar": ("name", "tensor", "collections", "family"),
    "initializers.constant": ("value", "dtype"),
    "initializers.glorot_normal": ("seed", "dtype"),
    "initializers.glorot_uniform": ("seed", "dtype"),
    "initializers.ones": ("dtype",),
    "initializers.zeros": ("dtype",),
    "logging.debug": ("msg", "args", "kwargs"),
    "logging.error": ("msg", "args", "kwargs"),
    "logging.fatal": ("msg", "args", "kwargs"),
    "logging.get_verbosity": (),
    "logging.info": ("msg", "args", "kwargs"),
    "logging.log": ("level", "msg", "args", "kwargs"),
    "logging.set_verbosity": ("v",),
    "logging.warn": ("msg", "args", "kwargs"),
    "logging.warning": ("msg", "args", "kwargs"),
    "debugging.check_numerics": ("tensor", "message", "name"),
    "Print": ("input_", "data", "message", "first_n", "summarize", "name"),
    "arg_max": ("input", "dimension", "output_type", "name"),
    "arg_min": ("input", "dimension", "output_type", "name"),
    "cos": ("x", "name"),
    "device": ("device_name_or_function",),
    "div": ("x", "y", "name"),
    "hessians": ("ys", "xs", "name", "colocate_gradients_with_ops", "gate_gradients", "aggregation_method"),
    "initialize_all_variables": (),
    "local_variables": ("scope",),
    "local_variables_initializer": (),
    "pad": ("tensor", "paddings", "mode", "name", "constant_values"),
    "sin": ("x", "name"),
    "split": ("value", "num_or_size_splits", "axis", "num", "name"),
    "to_double": ("x", "name"),
    "to_float": ("x", "name"),
    "to_int32": ("x", "name"),
    "to_int64": ("x", "name"),
}
# Parameters graphflow adds after TF-1's own (checked against TF-1 with these left out).
GRAPHFLOW_ONLY = {"Session": {"debug_nans"}, "initializers.he_normal": {"dtype"}, "initializers.he_uniform": {"dtype"}}
GRAPHFLOW_ONLY["group"] = {"name"}  # TF-1's `group(*inputs, **kwargs)` takes name= through **kwargs
TF1_PARAMETERS["group"] = ("inputs", "name")
TF1_PARAMETERS |= {"Session": ("target", "graph", "config", "debug_nans")}
TF1_PARAMETERS |= {"initializers.he_normal": ("seed", "dtype"), "initializers.he_uniform": ("seed", "dtype")}

BUILTIN_NAMES = set(dir(builtins))


def _resolve(path: str):
    obj = gf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _parameters(obj) -> tuple[str, ...]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    return tuple(p for p in inspect.signature(target).parameters if p != "self")


@pytest.mark.parametrize("path", sorted(TF1_PARAMETERS))
def test_signature_has_tf1s_parameter_names_in_tf1s_order(path):
    assert _parameters(_resolve(path)) == TF1_PARAMETERS[path]


def test_signatures_are_tf1s_where_tensorflow_is_installed():
    tf = pytest.importorskip("tensorflow.compat.v1")
    for path, expected in TF1_PARAMETERS.items():
        theirs = tf
        for part in path.split("."):
            theirs = getattr(theirs, part)
        theirs = _parameters(theirs)
        ours = [p for p in expected if p not in GRAPHFLOW_ONLY.get(path, ())]
        remaining = iter(theirs)
        assert all(p in remaining for p in ours), f"{path}: {ours} is not a subsequence of TF-1's {list(theirs)}"


def test_the_table_covers_every_op_of_the_top_namespace():
    ops = {n for n in gf.__all__ if inspect.isfunction(getattr(gf, n))}
    not_in_tf1 = {"absolute", "power", "relu", "softmax", "log_softmax", "topo_order", "defop", "as_node", "print_v2"}
    assert ops - not_in_tf1 - set(TF1_PARAMETERS) == set()


def _public_names():
    for module in PUBLIC:
        for name in module.__all__:
            yield module, name, getattr(module, name)


def _summary_restates_the_name(summary: str, name: str) -> bool:
    words = set(re.findall(r"[a-z0-9]+", summary.lower()))
    filler = {"a", "an", "the", "of", "construct", "constructs", "create", "creates", "op", "function", "tf", "1"}
    return len(words - set(name.lower().split("_")) - filler) < 2


def test_every_public_name_documents_itself():
    undocumented = []
    for module, name, obj in _public_names():
        if isinstance(obj, types.ModuleType):
            if not (obj.__doc__ or "").strip():
                undocumented.append(f"{module.__name__}.{name}: no module docstring")
            continue
        if not callable(obj):
            continue  # data: dtypes, constants, collection names
        doc = inspect.getdoc(obj) or ""
        where = f"{module.__name__}.{name}"
        if not doc or _summary_restates_the_name(doc.splitlines()[0], name):
            undocumented.append(f"{where}: no docstring of its own")
        elif inspect.isfunction(obj):
            if _parameters(obj) and "Args:" not in doc:
                undocumented.append(f"{where}: no Args section")
            if "Returns:" not in doc and "Yields:" not in doc:
                undocumented.append(f"{where}: no Returns section")
    assert undocumented == []


def test_no_public_function_is_the_registrys_plumbing():
    opdefs = [f"{m.__name__}.{n}" for m, n, obj in _public_names() if isinstance(obj, OpDef)]
    assert opdefs == []
    text = pydoc.render_doc(gf.matmul, renderer=pydoc.plaintext)
    assert "matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False" in text
    assert "Gradient:" in text and "OpDef" not in text


def test_the_examples_in_docstrings_run():
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    seen, examples = set(), 0
    for _, name, obj in _public_names():
        if not callable(obj) or id(obj) in seen:
            continue
        seen.add(id(obj))
        for test in finder.find(obj, name, module=False, globs={"gf": gf, "np": np}):
            with gf.Graph().as_default():
                runner.run(test)
            examples += len(test.examples)
    assert runner.failures == 0
    assert examples > 200


def test_a_mistyped_keyword_names_the_function_and_the_close_parameter():
    a = gf.constant([[1.0]])
    with pytest.raises(TypeError, match=r"matmul\(\).*'transpose_bb'.*did you mean 'transpose_b'\?"):
        gf.matmul(a, a, transpose_bb=True)
    with pytest.raises(TypeError, match=r"reduce_sum\(\).*'axes'.*did you mean 'axis'\?"):
        gf.reduce_sum(a, axes=0)
    with pytest.raises(TypeError, match=r"relu\(\).*'features'\n.*signature: relu\(features, name=None\)"):
        gf.nn.relu(x=a)
    with pytest.raises(TypeError, match=r"round\(\)"):
        gf.round(a, 2, 3)  # the name a user calls, not the Python name round_
    with pytest.raises(TypeError, match=r"placeholder\(\)"):
        gf.placeholder(gf.float32, shpe=[2])  # functions without @public say so too, in Python's words


def test_an_error_raised_inside_the_function_is_not_reported_as_a_bad_call():
    with pytest.raises(TypeError, match="different dtypes") as error:
        gf.add(gf.constant(1.0), gf.constant(1.0, gf.float64))
    assert "signature" not in str(error.value)


def test_tf1_arguments_graphflow_cannot_honour_are_refused_unless_at_tf1s_default():
    gf.zeros([2], layout=None)
    with pytest.raises(NotImplementedError, match="zeros: layout='mesh' is not supported"):
        gf.zeros([2], layout="mesh")
    with pytest.raises(NotImplementedError, match="batch_dims"):
        gf.gather([1.0, 2.0], [0], batch_dims=1)
    with pytest.raises(NotImplementedError, match="conjugate"):
        gf.transpose(gf.zeros([2, 2]), None, None, True)  # positionally too
    with pytest.raises(NotImplementedError, match="validate_shape"):
        gf.assign(gf.Variable([1.0]), [1.0, 2.0], validate_shape=False)


def test_adjoint_is_the_transpose_for_real_tensors():
    a = np.arange(6.0).reshape(2, 3)
    with gf.Graph().as_default(), gf.Session() as sess:
        x = gf.constant(a)
        adjoint, transpose = sess.run([gf.matmul(x, x, adjoint_a=True), gf.matmul(x, x, transpose_a=True)])
        with pytest.raises(ValueError, match="only one of transpose_a and adjoint_a"):
            gf.matmul(x, x, transpose_a=True, adjoint_a=True)
    np.testing.assert_array_equal(adjoint, a.T @ a)
    np.testing.assert_array_equal(transpose, a.T @ a)


def test_a_star_import_keeps_pythons_builtins():
    namespace: dict = {}
    exec("from graphflow import *", namespace)
    assert BUILTIN_NAMES & set(namespace) - {"__builtins__"} == set()
    assert {"matmul", "placeholder", "Session", "nn", "train"} <= set(namespace)
    assert "logging" not in namespace  # the standard library's name
    for module in PUBLIC:
        assert BUILTIN_NAMES & set(module.__all__) == set(), module.__name__
    assert gf.range(3).dtype == gf.int32 and gf.abs is gf.absolute and gf.round.__name__ == "round"


def test_every_name_in_all_is_defined_and_no_import_leaks():
    for module in PUBLIC:
        assert len(set(module.__all__)) == len(module.__all__), f"{module.__name__}: a name twice in __all__"
        for name in module.__all__:
            obj = getattr(module, name)  # raises if __all__ names what the module does not have
            owner = getattr(obj, "__module__", None) if inspect.isclass(obj) or inspect.isroutine(obj) else None
            assert owner is None or owner.startswith("graphflow"), f"{module.__name__}.{name} comes from {owner}"
        if module is not graphflow.compat.v1:
            assert dir(module) == sorted(
                {*module.__all__, *getattr(module, "_NOT_STARRED", ())} | ({"__version__"} if module is gf else set())
            ), module.__name__


def test_what_a_module_defines_is_in_its_all():
    # A function or class added to a public module without adding it to __all__ would escape the checks above.
    for module in PUBLIC:
        if module in (gf, graphflow.compat.v1):
            continue
        defined = {
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__
        }
        assert defined - set(module.__all__) == set(), module.__name__
    public = {n for n, v in vars(gf).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert public - set(gf.__all__) == set(gf._NOT_STARRED) - {"logging", "viz", "datasets", "compat"}


def test_dir_and_help_of_the_package_show_the_public_api_only():
    modules = {n for n in dir(gf) if isinstance(getattr(gf, n), types.ModuleType)}
    assert {f"graphflow.{n}" for n in modules} - {"graphflow.logging"} <= PUBLIC_MODULES
    assert {"registry", "plan", "kernels", "run_args", "nodes", "session", "ops"} & set(dir(gf)) == set()
    text = pydoc.render_doc(gf, renderer=pydoc.plaintext)
    api = text[text.index("CLASSES") :]
    assert "matmul(a, b, transpose_a=False" in api and "class Session" in api
    assert "OpDef(" not in api and "class OpDef" not in api and "run_args" not in api


def test_unconnected_gradients_are_none_or_zeros_as_asked():
    with gf.Graph().as_default():
        x, unused = gf.constant([1.0, 2.0]), gf.constant([[5.0]])
        y = gf.reduce_sum(x * x)
        assert gf.gradients(y, [x, unused])[1] is None
        for zero in ("zero", gf.UnconnectedGradients.ZERO):
            gx, gu = gf.Session().run(gf.gradients(y, [x, unused], unconnected_gradients=zero))
            np.testing.assert_array_equal(gx, [2.0, 4.0])
            np.testing.assert_array_equal(gu, [[0.0]])
        with pytest.raises(ValueError, match="unconnected_gradients must be 'none' or 'zero'"):
            gf.gradients(y, x, unconnected_gradients="zeros")


def test_a_variable_takes_tf1s_arguments_and_refuses_what_it_cannot_do():
    with gf.Graph().as_default():
        v = gf.Variable(np.zeros((2, 3)), use_resource=True, caching_device="/cpu:0", shape=[None, 3])
        assert v.shape == (2, 3)
        with pytest.raises(ValueError, match=r"shape \(2, 3\), which shape=\[2, 4\] does not fit"):
            gf.Variable(np.zeros((2, 3)), shape=[2, 4])
        with pytest.raises(NotImplementedError, match="validate_shape=False"):
            gf.Variable(np.zeros(2), validate_shape=False)
        with pytest.raises(NotImplementedError, match="constraint"):
            gf.Variable(np.zeros(2), constraint=lambda w: w)
