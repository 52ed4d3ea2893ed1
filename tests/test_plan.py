"""The compiled plan as data: printing, the passes' decisions (fusions, writes into inputs, recycling, copies of
fetches), who owns each array a run returns, and the package's structure (no import cycles, short modules)."""

from __future__ import annotations

import ast
import functools
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow import registry
from graphflow.plan import Step, passes
from tests.plans import plan_for

PACKAGE = Path(gf.__file__).parent


def _mlp():
    x = gf.placeholder(gf.float32, [None, 6], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    hidden = gf.layers.dense(x, 300, activation=gf.nn.relu, name="hidden")  # 300 x 4-byte columns: above 32 KiB
    logits = gf.layers.dense(hidden, 3, name="logits")
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return x, labels, hidden, loss


def _mlp_training_plan():
    """The plan of one training step of `_mlp`, after a run."""
    with gf.Graph().as_default():
        x, labels, _, loss = _mlp()
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with gf.Session() as sess:
            feed = {x: np.ones((64, 6), np.float32), labels: np.zeros(64, np.int64)}
            sess.run(train, feed)
            return sess.plan_for(train, feed)


# --------------------------------------------------------------------------------------------------------------------
# Printing


def test_a_printed_plan_shows_each_step_with_its_slots_and_where_it_writes():
    plan = _mlp_training_plan()
    text = str(plan)
    lines = text.splitlines()
    assert lines[0] == f"Plan: 1 fetches, 2 feeds, {len(plan.steps)} steps"
    assert any("fed" in line and line.endswith(" x") for line in lines)
    assert any("variable" in line and "hidden/kernel" in line for line in lines)
    (fused,) = [line for line in lines if "bias_relu(" in line]
    assert "hidden/Relu (with hidden/BiasAdd)" in fused and "into s" in fused
    assert any("recycles" in line and "matmul_op(" in line for line in lines)
    assert sum(line.startswith("  commit ") for line in lines) == 4  # two kernels, two biases
    for i, step in enumerate(plan.steps):  # one line per step, numbered, naming its op
        (line,) = [line for line in lines if line.startswith(f"  {i:>4}  ")]
        assert step.op.op_name in line


def test_a_printed_plan_lists_inputs_steps_notes_fetches_and_commits_line_by_line():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3], name="x")
        p = gf.placeholder(gf.bool, [], name="p")
        w = gf.Variable(np.ones(3), name="w")
        y = gf.reduce_sum(x * w, name="y")
        r = gf.cond(p, lambda: y * 2.0, lambda: y - 1.0, name="r")
        train = gf.train.AdamOptimizer(0.1).minimize(y, name="train")
        with gf.Session() as sess:
            feed = {x: np.ones((2, 3)), p: True}
            assert sess.run([r, train], feed) == [12.0, None]
            plan = sess.plan_for([r, train], feed)
    lines = str(plan).splitlines()
    assert lines[0] == f"Plan: 2 fetches, 2 feeds, {len(plan.steps)} steps"
    inputs = {line.split()[0]: line.split()[1:] for line in lines[1:] if re.match(r"^  s\d+ ", line)}
    slot = {node.op_name: s for s, node in enumerate(plan.nodes)}
    assert inputs[f"s{slot['x']}"] == ["fed", "x"] and inputs[f"s{slot['p']}"] == ["fed", "p"]
    assert inputs[f"s{slot['w']}"] == ["variable", "w"] and inputs[f"s{slot['w/Adam']}"] == ["variable", "w/Adam"]
    assert inputs[f"s{slot['r/Const']}"] == ["constant", "r/Const"]
    steps = [line for line in lines if re.match(r"^ +\d+  s", line)]
    assert len(steps) == len(plan.steps)
    for i, (line, step) in enumerate(zip(steps, plan.steps, strict=True)):
        outputs = ",".join(
            f"s{s}"
            for s in (range(step.output.start, step.output.stop) if type(step.output) is slice else [step.output])
        )
        assert line.startswith(f"  {i:>4}  {outputs} = "), line
        assert f"({', '.join(f's{s}' for s in step.inputs)})" in line and step.op.op_name in line
        assert ("skipped if an input is dead" in line) == (step.guards is not None), line
        assert ("recycles" in line) == step.recycle, line
        frees = " ".join(f"s{s}" for s in step.frees)
        assert (f"frees {frees}" in line) if step.frees else ("frees" not in line), line
    (adam,) = [line for line in steps if "apply_adam(" in line]
    assert re.search(r"  s(\d+),s(\d+),s(\d+) = apply_adam\(", adam) and "train/ApplyAdam" in adam
    assert [line for line in lines if line.startswith("  fetch")] == [f"  fetch  s{s}" for s in plan.fetch_slots]
    commits = [line for line in lines if line.startswith("  commit")]
    assert commits == [f"  commit {var.op_name} = s{s}" for var, s in plan.commits]
    assert {c.split()[1] for c in commits} == {"w", "w/Adam", "w/Adam_1", "beta1_power", "beta2_power"}


# --------------------------------------------------------------------------------------------------------------------
# Passes


def test_the_passes_only_mark_steps_and_the_program_is_the_steps_bound():
    with gf.Graph().as_default():
        x, labels, _, loss = _mlp()
        grads = gf.gradients(loss, gf.trainable_variables())
        with gf.Session() as sess:
            feed = {x: np.ones((64, 6), np.float32), labels: np.zeros(64, np.int64)}
            sess.run(grads, feed)
            plan = sess.plan_for(grads, feed)
    assert all(isinstance(step, Step) for step in plan.steps)
    assert len(plan.program) == len(plan.steps)
    for step, (fn, inputs, attrs, output, frees) in zip(plan.steps, plan.program, strict=True):
        assert (inputs, attrs, output, frees) == (step.inputs, step.attrs, step.output, step.frees)
        assert (fn is step.fn) == (step.into is None and not step.recycle)  # only writes elsewhere are wrapped


def test_a_fusion_registered_for_two_op_types_runs_them_as_one_step_where_it_applies():
    calls = []

    def exp_of_neg(x):
        calls.append(x.shape)
        return np.exp(-x)

    fusion = registry.Fusion("Neg", "Exp", exp_of_neg, applies=lambda op: op.shape == (3,))
    registry.FUSIONS.setdefault("Exp", []).append(fusion)
    try:
        with gf.Graph().as_default():
            x = gf.placeholder(gf.float64, None, name="x")
            small = gf.exp(-gf.reshape(x, [3]), name="small")  # static shape (3,): fused
            other = gf.exp(-x, name="other")  # unknown shape: `applies` says no
            shared = gf.negative(x, name="shared")
            both = [gf.exp(shared, name="reads_shared"), shared]  # the Neg result is fetched: not fused
            with gf.Session() as sess:
                value = np.array([0.0, 1.0, 2.0])
                got = sess.run([small, other, *both], {x: value})
                plans = [plan_for(sess, f) for f in ([small, other, *both],)]
    finally:
        registry.FUSIONS["Exp"].remove(fusion)
    for g in got[:3]:
        np.testing.assert_allclose(g, np.exp(-value))
    types = {step.op.op_name: (step.fn, step.fused) for step in plans[0].steps}
    assert types["small"][0] is exp_of_neg and types["small"][1].type == "Neg"
    assert types["other"][1] is None and types["reads_shared"][1] is None
    assert calls == [(3,)]


def test_escaping_slots_follow_views_and_writes_into_inputs_back_from_the_fetches():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 4096], name="x")  # 32 KiB rows: large enough to plan in place
        a = gf.exp(x, name="a")
        b = gf.add(a, 1.0, name="b")  # writes into a's array
        c = gf.reshape(b, [-1], name="c")  # a view of b
        scratch = gf.reduce_sum(gf.exp(x, name="scratch"), name="total")
        with gf.Session() as sess:
            sess.run([c, scratch], {x: np.zeros((1, 4096))})
            plan = plan_for(sess, [c, scratch])
    slot = {step.op.op_name: step.output for step in plan.steps}
    by_name = {step.op.op_name: step for step in plan.steps}
    assert by_name["b"].into == 0
    escaping = passes.escaping_slots(plan.steps, plan.outlive())
    assert {slot["a"], slot["b"], slot["c"]} <= escaping and slot["scratch"] not in escaping
    assert by_name["scratch"].recycle and not by_name["a"].recycle  # a's array is fetched (through b and c)


def test_an_array_a_view_reads_is_not_written_in_place():
    # b = a + 1 is a's last reader and could write into a's array, but reshape(a) is a view of that array.
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 4096], name="x")  # 32 KiB rows: large enough to plan in place
        a = gf.exp(x, name="a")
        view, b = gf.reshape(a, [-1]), a + 1.0
        with gf.Session() as sess:
            got_view, got_b = sess.run([view, b], {x: np.zeros((1, 4096))})
            plan = plan_for(sess, [view, b])
    np.testing.assert_array_equal(got_view, np.ones(4096))
    np.testing.assert_array_equal(got_b, np.full((1, 4096), 2.0))
    assert all(step.into is None for step in plan.steps if step.op is b.op)


def test_a_guard_slot_is_kept_until_the_last_step_it_guards():
    # Each branch reads the pivot (p, switched) as an input first, then runs an op on constants that only the pivot,
    # as a guard, ties to the branch. Freeing the pivot after its last reader as an input would let that op run in
    # the branch not taken, and its value would reach the cond's output.
    with gf.Graph().as_default():
        p = gf.placeholder(gf.bool, [], name="p")

        def branch(k):
            def fn():
                first = gf.cast(p, gf.float64) + float(k)
                with gf.control_dependencies([first]):
                    last = gf.constant(float(k), dtype=gf.float64) * 2.0
                return first, last

            return fn

        out = gf.cond(p, branch(1), branch(10))
        with gf.Session() as sess:
            assert sess.run(out, {p: True}) == (2.0, 2.0)
            assert sess.run(out, {p: False}) == (10.0, 20.0)
            plan = plan_for(sess, list(out))
    guarded = [step for step in plan.steps if step.guards]
    assert guarded and all(set(step.guards) <= set(step.reads()) for step in guarded)


# --------------------------------------------------------------------------------------------------------------------
# Ownership: an array a run returns is the caller's


@pytest.mark.parametrize("build", ["variable", "view of a variable", "update", "view of an update", "constant"])
def test_a_fetch_that_may_be_session_state_is_a_copy_no_later_run_changes(build):
    with gf.Graph().as_default():
        v = gf.Variable(np.arange(6.0).reshape(2, 3), name="v")
        step = v.assign_add(np.ones((2, 3)))
        fetch = {
            "variable": v,
            "view of a variable": gf.reshape(v, [6]),
            "update": step,
            "view of an update": gf.transpose(step),
            "constant": gf.constant(np.ones(3)),
        }[build]
        with gf.Session() as sess:
            got = [sess.run([fetch, step])[0] for _ in range(4)]
            snapshot = [g.copy() for g in got]
            for _ in range(3):
                sess.run(step)
            plan = plan_for(sess, [fetch, step])
            assert plan.fetch_copies[:1] == (0,)
            for g in got:  # writable, and writing into it reaches nothing of the session's
                g[...] = -1.0
            assert sess.run(v).min() >= 0.0
    for g, s in zip(got, snapshot, strict=True):
        assert not np.array_equal(g, s) or s.size == 0  # the writes above went into the caller's own array
    assert len({id(g) for g in got}) == 4


def test_a_fetched_result_the_run_made_is_handed_over_without_a_copy_and_never_changes():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3], name="x")
        w = gf.Variable(np.ones((3, 2)), name="w")
        y = gf.matmul(x, w, name="y")
        train = gf.train.GradientDescentOptimizer(0.1).minimize(gf.reduce_sum(y * y))
        with gf.Session() as sess:
            results = [sess.run([y, train], {x: np.full((2, 3), k)})[0] for k in range(5)]
            plan = plan_for(sess, [y, train])
    assert plan.fetch_copies == ()  # y is made by the run: no copy is needed
    w_value = np.ones((3, 2))
    for k, r in enumerate(results):  # each was computed before the k-th update and is unchanged since
        np.testing.assert_allclose(r, np.full((2, 3), k) @ w_value)
        w_value = w_value - 0.1 * 2 * np.full((2, 3), k).T @ (np.full((2, 3), k) @ w_value)


def test_a_fed_array_is_never_written_even_when_a_step_could_work_in_place():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 8192], name="x")
        y = gf.nn.relu(gf.exp(x) - 2.0)
        with gf.Session() as sess:
            value = np.linspace(-1.0, 1.0, 8192)[None]
            before = value.copy()
            sess.run(y, {x: value})
    np.testing.assert_array_equal(value, before)


# --------------------------------------------------------------------------------------------------------------------
# Structure


def _imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """The graphflow modules `path` imports when it runs, at module level or inside functions (not the imports for
    type annotations under `if TYPE_CHECKING:`, which never run)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            submodules = {f"{base}.{a.name}" for a in node.names} & modules
            found |= submodules or {base}  # `from graphflow import dtypes` imports graphflow.dtypes
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found & modules


def test_graphflow_has_no_import_cycle():
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    edges = {m: _imports(p, m, set(modules)) - {m} for m, p in modules.items()}
    for name in modules:  # a depth-first walk from each module must never come back to it
        stack, seen = list(edges[name]), set()
        while stack:
            m = stack.pop()
            assert m != name, f"{name} imports itself through {sorted(seen)}"
            if m not in seen:
                seen.add(m)
                stack.extend(edges[m])


def _code_lines(source: str) -> int:
    """Lines of a module that are not docstrings: an op family's public functions carry their documentation (args,
    returns, gradient, example) in docstrings, which a reader of the code can skip."""
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    return len(source.splitlines()) - len(docstrings)


def test_no_module_of_graphflow_is_over_400_lines_of_code():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := _code_lines(p.read_text())) > 400}
    assert long == {}


def test_docstrings_are_not_counted_as_code():
    source = 'def f():\n    """One.\n\n    Two.\n    """\n    return 1\n'
    assert _code_lines(source) == 2


# --------------------------------------------------------------------------------------------------------------------
# Where a step writes, checked by identity: a step that allocated instead would give the same values


def test_a_step_planned_into_an_input_returns_that_input_array_itself():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 4096], name="x")
        b = gf.add(gf.exp(x, name="a"), 1.0, name="b")  # planned to write into a's array
        with gf.Session() as sess:
            np.testing.assert_allclose(sess.run(b, {x: np.zeros((1, 4096))}), 2.0)
            plan = plan_for(sess, [b])
    (i,) = [i for i, step in enumerate(plan.steps) if step.op.op_name == "b"]
    fn, inputs, attrs, _, _ = plan.program[i]
    a = np.exp(np.zeros((1, 4096)))
    args = [a if plan.steps[i].inputs[k] == plan.steps[i - 1].output else np.float64(1.0) for k in range(len(inputs))]
    result = fn(*args, **attrs)
    assert result is a and plan.steps[i].into == 0
    np.testing.assert_array_equal(a, 2.0)  # the input array now holds the sum
    wider = np.zeros((3, 4096))
    assert fn(np.zeros((1, 4096)), wider, **attrs).shape == (3, 4096)  # a broadcast result cannot go into args[0]
    narrow = np.ones((1, 4096), np.float32)
    promoted = fn(narrow, np.ones((1, 4096)), **attrs)  # a float64 result is not rounded into the float32 input
    assert promoted is not narrow and promoted.dtype == np.float64
    np.testing.assert_array_equal(narrow, 1.0)


def test_a_fused_step_that_is_not_a_ufunc_writes_into_its_input_too():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 6], name="x")
        h = gf.layers.dense(x, 300, activation=gf.nn.relu, name="hidden")
        with gf.Session() as sess:
            feed = {x: np.ones((64, 6), np.float32)}
            sess.run(h, feed)
            plan = sess.plan_for(h, feed)
    (i,) = [i for i, step in enumerate(plan.steps) if step.fused is not None]
    assert plan.steps[i].into == 0 and not isinstance(plan.steps[i].fn, np.ufunc)
    fn, _, attrs, _, _ = plan.program[i]
    z = np.full((64, 300), -1.0, np.float32)
    assert fn(z, np.full(300, 0.5, np.float32), **attrs) is z
    np.testing.assert_array_equal(z, 0.0)  # relu(-1 + 0.5), written into z


def test_a_recycling_step_writes_into_the_array_it_made_in_the_thread_s_previous_run():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 512], name="x")
        total = gf.reduce_sum(gf.exp(x, name="scratch"), name="total")
        with gf.Session() as sess:
            sess.run(total, {x: np.zeros((512, 512))})
            plan = plan_for(sess, [total])
    (i,) = [i for i, step in enumerate(plan.steps) if step.op.op_name == "scratch"]
    assert plan.steps[i].recycle
    fn, _, attrs, _, _ = plan.program[i]
    exactly = np.zeros((512, 512))  # 2 MiB: the smallest result that is kept
    assert exactly.nbytes == passes.RECYCLE_BYTES
    first = fn(exactly, **attrs)
    second = fn(np.ones((512, 512)), **attrs)
    assert second is first  # the same array, written again
    np.testing.assert_allclose(second, np.e)
    other = fn(np.zeros((2, 512)), **attrs)  # another shape: a new array, and the kept one is left alone
    assert other is not first and other.shape == (2, 512)
    np.testing.assert_allclose(first, np.e)


# --------------------------------------------------------------------------------------------------------------------
# Printing, in full


def _columns(line: str) -> list[str]:
    return re.split(r"  +", line.strip())


def test_a_printed_step_line_has_its_notes_joined_in_order_and_unfused_ops_bare():
    plan = _mlp_training_plan()
    lines = str(plan).splitlines()
    noted = 0
    for i, step in enumerate(plan.steps):
        (line,) = [line for line in lines if line.startswith(f"  {i:>4}  ")]
        notes = [f"into s{step.inputs[step.into]}"] if step.into is not None else []
        notes += ["recycles"] if step.recycle else []
        notes += ["skipped if an input is dead"] if step.guards is not None else []
        notes += [f"frees {' '.join(f's{s}' for s in step.frees)}"] if step.frees else []
        op = step.op.op_name + (f" (with {step.fused.op_name})" if step.fused is not None else "")
        assert _columns(line)[2:] == [op, "; ".join(notes)] if notes else [op], line
        noted += len(notes) > 1
    assert noted  # some line joins two notes


def test_a_printed_plan_aligns_its_columns_and_caps_the_call_column_at_60():
    with gf.Graph().as_default():
        xs = [gf.placeholder(gf.float64, [2], name=f"x{k}") for k in range(14)]
        total = gf.add_n(xs, name="total")
        out = gf.negative(total, name="out")
        with gf.Session() as sess:
            feed = {x: np.ones(2) for x in xs}
            np.testing.assert_array_equal(sess.run(out, feed), -14.0)
            plan = sess.plan_for(out, feed)
    steps = str(plan).splitlines()[-3:-1]
    call = "s14 = add_n_op(" + ", ".join(f"s{k}" for k in range(14)) + ")"  # over 60 characters: not padded
    frees = " ".join(f"s{k}" for k in range(14))
    assert steps == [
        f"     0  {call}  total  frees {frees}",
        f"     1  {'s15 = negative(s14)':<60}  out    frees s14",  # the op column starts at 60 + 10
    ]


def test_a_plan_with_no_steps_prints_its_feeds_and_fetches():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        with gf.Session() as sess:
            plan = sess.plan_for(x, {x: np.ones(2)})
    assert str(plan).splitlines() == ["Plan: 1 fetches, 1 feeds, 0 steps", "  s0    fed       x", "  fetch  s0"]


def test_a_printed_plan_marks_the_fetches_it_copies():
    with gf.Graph().as_default():
        v = gf.Variable(np.arange(6.0), name="v")
        y = gf.exp(v, name="y")
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            plan = sess.plan_for([v, y])
    lines = [line for line in str(plan).splitlines() if line.startswith("  fetch")]
    assert plan.fetch_copies == (0,)
    assert lines == [f"  fetch  s{plan.fetch_slots[0]} (copied)", f"  fetch  s{plan.fetch_slots[1]}"]


# --------------------------------------------------------------------------------------------------------------------
# Run-time messages, in full


def test_a_loop_part_that_updates_a_variable_is_refused_naming_the_update():
    from graphflow.plan import compile_plan
    from graphflow.plan.execute import Subprogram

    with gf.Graph().as_default():
        v = gf.Variable(1.0, name="v")
        w = gf.Variable(2.0, name="w")
        first = gf.assign_add(v, 1.0, name="bump")
        second = gf.assign(w, 5.0, name="set")
        plan = compile_plan([first, second], [], [], lambda op: np.random.default_rng(0))
        assert [var.op_name for var, _ in plan.commits] == ["v", "w"]
        with pytest.raises(gf.errors.InvalidArgumentError) as info:
            Subprogram(plan)
    assert info.value.node is first  # the first update, not the second
    assert info.value.message.splitlines()[0] == (
        "'v' is updated inside a while loop's condition or body; a loop may not change variables. "
        "Return the new value as a loop variable and assign it after the loop"
    )


def _without_site(message: str) -> str:
    """An error's message without the line saying where its op was defined (which names this file's lines)."""
    return "\n".join(line for line in message.splitlines() if " was defined at " not in line)


def test_debug_nans_message_in_full_names_the_op_its_output_and_each_input():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        y = gf.log(x, name="y")
        with gf.Session(debug_nans=True) as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: [1.0, 0.0, -1.0]})
    assert info.value.node is y
    assert _without_site(info.value.message) == (
        "Log 'y' produced shape (3,) float64, 1 NaN, 1 Inf, finite values in [0, 0] with mean 0; it is the first op "
        "of this run to do so. Its inputs were:\n"
        "  input 0 'x': shape (3,) float64, 0 NaN, 0 Inf, finite values in [-1, 1] with mean 0\n"
        "No variable was changed."
    )


def test_debug_nans_message_for_an_op_without_inputs_says_so():
    with gf.Graph().as_default():
        r = gf.random_normal([2], mean=np.inf, name="r")
        with gf.Session(debug_nans=True) as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(r)
    assert info.value.node is r
    assert _without_site(info.value.message) == (
        "RandomStandardNormal 'r' produced shape (2,) float32, 0 NaN, 2 Inf; it is the first op of this run to do "
        "so. Its inputs were:\n  (none)\nNo variable was changed."
    )


@pytest.mark.parametrize("debug", [False, True])
def test_a_step_that_raises_at_run_time_is_reported_with_the_arrays_it_was_given(debug):
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float64, None, name="a")
        b = gf.placeholder(gf.float64, [None, None], name="b")
        m = gf.matmul(a, b, name="m")
        with gf.Session(debug_nans=debug) as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(m, {a: np.ones((2, 3)), b: np.ones((2, 3))})
    cause = info.value.__cause__
    assert isinstance(cause, ValueError) and info.value.node is m
    assert _without_site(info.value.message) == (
        f"MatMul 'm' failed: {cause}\n"
        "  inputs: 'a' float64 [2,3] (declared <unknown>), 'b' float64 [2,3] (declared [?,?])\n"
        "No variable was changed."
    )


def test_a_run_time_failure_gives_the_declared_shape_only_where_it_says_less_than_the_actual_one():
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float32, [2, 3], name="a")
        b = gf.placeholder(gf.float32, [None, 3], name="b")
        m = gf.matmul(a, b, name="m")
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(m, {a: np.ones((2, 3)), b: np.ones((2, 3))})
    assert "\n  inputs: 'a' float32 [2,3], 'b' float32 [2,3] (declared [?,3])\n" in info.value.message


def test_debug_nans_keeps_a_floating_point_category_the_caller_set_to_raise():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        y = gf.exp(x, name="big")
        raising = np.errstate(over="raise")
        with gf.Session(debug_nans=True) as sess, raising, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(y, {x: [1000.0, 1.0]})
    assert isinstance(info.value.__cause__, FloatingPointError)  # numpy raised, before any check of the output
    assert info.value.message.startswith("Exp 'big' failed: overflow encountered in exp")


# --------------------------------------------------------------------------------------------------------------------
# Lowering: which value of a variable each step reads


@pytest.mark.parametrize("debug", [False, True])
def test_an_update_in_a_cond_branch_reads_the_branch_s_earlier_update_and_the_cond_picks_the_newest(debug):
    with gf.Graph().as_default():
        v = gf.Variable(0.0, name="v")
        p = gf.placeholder(gf.bool, [], name="p")

        def twice():
            first = gf.assign_add(v, 1.0)
            with gf.control_dependencies([first]):
                return gf.assign_add(v, 10.0)

        r = gf.cond(p, twice, lambda: gf.identity(v))
        with gf.Session(debug_nans=debug) as sess:
            sess.run(v.initializer)
            assert sess.run(r, {p: True}) == 11.0 and sess.run(v) == 11.0
            assert sess.run(r, {p: False}) == 11.0 and sess.run(v) == 11.0


def test_an_op_with_an_unrelated_control_input_reads_a_variable_s_value_from_before_the_run_s_update():
    with gf.Graph().as_default():
        w = gf.Variable(1.0, name="w")
        up = gf.assign_add(w, 1.0, name="up")
        with gf.control_dependencies([gf.constant(0.0, name="c")]):
            y = gf.identity(w, name="y")
        with gf.Session() as sess:
            sess.run(w.initializer)
            assert sess.run([up, y]) == [2.0, 1.0]
            assert sess.run([up, y]) == [3.0, 2.0]
            plan = plan_for(sess, [up, y])
    (step,) = [step for step in plan.steps if step.op is up]
    assert plan.nodes[step.output] is up  # one variable changed: the new value is the op's own slot, not an extra one


def test_a_variable_that_is_only_assigned_is_not_initialised_first():
    with gf.Graph().as_default():
        p = gf.placeholder(gf.float32, [], name="p")
        z = gf.Variable(p * 2.0, name="z")  # its initial value needs p fed
        bump = gf.assign_add(z, 1.0)
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match="placeholder 'p'"):
                sess.run(bump)  # an update that reads z initialises it first
            assert sess.run(gf.assign(z, 7.0)) == 7.0  # an assign only overwrites z: p is not needed
            assert sess.run(bump) == 8.0


def test_updating_a_fed_variable_is_refused_naming_the_update():
    with gf.Graph().as_default():
        w = gf.Variable(1.0, name="w")
        up = gf.assign_add(w, 1.0, name="up")
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(up, {w: 3.0})
    assert info.value.node is up
    assert _without_site(info.value.message) == (
        "AssignAdd 'up' updates variable 'w', which is fed in this run; a fed variable cannot be updated"
    )


# --------------------------------------------------------------------------------------------------------------------
# A while loop's body: compiled with the session's generators and debugging mode


def _growing_loop():
    x0 = gf.placeholder(gf.float64, [2], name="x0")

    def body(i, x):
        noise = gf.random_uniform([2], dtype=gf.float64, seed=1, name="noise")  # drawn from the session's generator
        return i + 1, gf.exp(x * 100.0, name="grow") + noise

    return x0, gf.while_loop(lambda i, x: i < 3, body, [gf.constant(0), x0])


def test_a_loop_body_draws_random_numbers_and_without_debug_nans_lets_inf_through():
    with gf.Graph().as_default():
        x0, out = _growing_loop()
        with gf.Session() as sess, np.errstate(over="ignore"):
            i, x = sess.run(out, {x0: np.zeros(2)})
    assert i == 3 and np.isinf(x).all()


def test_debug_nans_checks_each_op_of_a_loop_body():
    with gf.Graph().as_default():
        x0, out = _growing_loop()
        with gf.Session(debug_nans=True) as sess, pytest.raises(gf.errors.InvalidArgumentError) as info:
            sess.run(out, {x0: np.zeros(2)})
    assert "Exp 'while/grow' produced shape (2,) float64, 0 NaN, 2 Inf" in info.value.message


def _scaled_exp_plus(x, c, scale, out=None):
    return np.add(np.exp(x) * scale, c, out=out)


def test_a_fusion_gets_the_outer_op_s_other_inputs_and_fuses_past_a_pair_it_may_not_fuse():
    fn = functools.partial(_scaled_exp_plus, scale=1.0)  # no __name__: printed by its type's name
    fusion = registry.Fusion("Exp", "Add", fn, applies=lambda op: True)
    registry.FUSIONS.setdefault("Add", []).append(fusion)
    try:
        with gf.Graph().as_default():
            x = gf.placeholder(gf.float64, [3], name="x")
            with gf.control_dependencies([gf.constant(0.0, name="c0")]):
                first = gf.exp(x, name="first")  # has a control input: not fused
            y1 = gf.add(first, 1.0, name="y1")
            y2 = gf.add(gf.exp(x * 2.0, name="second"), 3.0, name="y2")
            with gf.Session() as sess:
                value = np.array([0.0, 0.5, 1.0])
                got = sess.run([y1, y2], {x: value})
                plan = plan_for(sess, [y1, y2])
    finally:
        registry.FUSIONS["Add"].remove(fusion)
    np.testing.assert_allclose(got[0], np.exp(value) + 1.0)
    np.testing.assert_allclose(got[1], np.exp(2.0 * value) + 3.0)
    by_name = {step.op.op_name: step for step in plan.steps}
    assert by_name["y1"].fused is None and by_name["y1"].fn is not fn
    assert by_name["y2"].fn is fn and by_name["y2"].fused.op_name == "second" and len(by_name["y2"].inputs) == 2
    (line,) = [line for line in str(plan).splitlines() if " y2 (with second)" in line]
    assert f"s{by_name['y2'].output} = partial(s{by_name['y2'].inputs[0]}, s{by_name['y2'].inputs[1]})" in line


# --------------------------------------------------------------------------------------------------------------------
# numpy's warnings, told of the op that met them


def test_a_numeric_warning_names_the_op_where_it_was_built_and_points_at_the_line_that_ran_the_session():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2], name="x")
        built = inspect.currentframe().f_lineno + 1
        y = gf.exp(x, name="big")
        with gf.Session() as sess, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ran = inspect.currentframe().f_lineno + 1
            value = sess.run(y, {x: [1000.0, 1.0]})
    assert np.isinf(value[0]) and value[1] == np.e
    (warning,) = [w for w in caught if issubclass(w.category, gf.errors.NumericWarning)]
    assert str(warning.message) == (
        f"overflow encountered in Exp 'big', defined at {__file__}:{built} in {inspect.currentframe().f_code.co_name}: "
        'y = gf.exp(x, name="big"). Session(debug_nans=True) stops the run at the first op that gives NaN or Inf '
        "and shows its inputs."
    )
    assert (warning.filename, warning.lineno) == (__file__, ran)
