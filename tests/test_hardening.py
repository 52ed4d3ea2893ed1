"""Hostile conditions: interrupts landing anywhere in a run, graphs dropped in a loop, very wide gradients, nonsense
shapes, hostile checkpoint state files, closed sessions and integer division by zero."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import threading
import time
import weakref

import numpy as np
import pytest

import graphflow as gf

# ---------------------------------------------------------------------------------------------------------------------
# An interrupt (Ctrl-C) lands anywhere in a run: the run applies whole or not at all.


@contextlib.contextmanager
def _interrupts(low: float, high: float):
    """Raises KeyboardInterrupt from a signal handler while `armed[0]` is true, every `low` to `high` seconds of the
    process's CPU time (so a loaded machine, which stalls the process, does not make every run look interrupted)."""
    armed = [False]
    rng = np.random.default_rng(0)

    def interrupt(signum, frame):
        signal.setitimer(signal.ITIMER_VIRTUAL, rng.uniform(low, high))
        if armed[0]:
            raise KeyboardInterrupt

    # No collection meanwhile: an interrupt landing in a finalizer it ran would be lost as "unraisable".
    collecting = gc.isenabled()
    gc.disable()
    previous = signal.signal(signal.SIGVTALRM, interrupt)
    signal.setitimer(signal.ITIMER_VIRTUAL, low)
    try:
        yield armed
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        if collecting:
            gc.enable()


@pytest.mark.skipif(
    not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread(),
    reason="needs interval timers in the main thread",
)
def test_an_interrupt_never_tears_a_run_and_leaves_no_run_in_flight():
    with gf.Graph().as_default():
        variables = [gf.Variable(np.zeros(4)) for _ in range(200)]
        step = gf.group(*[v.assign_add(np.ones(4)) for v in variables])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            interrupted = finished = 0
            deadline = time.perf_counter() + 60.0
            with _interrupts(0.0002, 0.002) as armed:  # the system's clock tick may stretch these to a few ms
                while (interrupted < 150 or finished < 50) and time.perf_counter() < deadline:
                    try:
                        armed[0] = True
                        sess.run(step)
                        armed[0] = False
                        finished += 1
                    except KeyboardInterrupt:
                        armed[0] = False
                        interrupted += 1
            counts = {float(value[0]) for value in sess.run(variables)}
            assert interrupted >= 150 and finished >= 50, (interrupted, finished)
            assert len(counts) == 1, f"the variables moved by different counts: {sorted(counts)[:5]}..."
            assert not sess._running, f"{len(sess._running)} runs are still counted as in flight"
            # the replaced values are recycled again: an update writes into the array the previous one replaced
            before = sess._values[variables[0]]
            sess.run(step)
            sess.run(step)
            assert sess._values[variables[0]] is before


# ---------------------------------------------------------------------------------------------------------------------
# Graphs dropped in a loop are freed.


def test_graphs_that_used_get_variable_and_dense_are_freed_when_dropped():
    dropped = []
    for _ in range(20):
        gf.reset_default_graph()
        graph = gf.get_default_graph()
        x = gf.placeholder(gf.float32, [None, 3])
        with gf.variable_scope("model"):
            y = gf.layers.dense(x, 4) + gf.get_variable("bias", [4])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(y, {x: np.ones((2, 3))})
        dropped.append(weakref.ref(graph))
        del graph, x, y, sess
    gf.reset_default_graph()
    gc.collect()
    alive = sum(ref() is not None for ref in dropped)
    assert alive == 0, f"{alive} of {len(dropped)} dropped graphs are still alive"


# ---------------------------------------------------------------------------------------------------------------------
# Gradients of ops with many inputs grow linearly with the number of inputs (counted, not timed).


def _calls(fn):
    """fn()'s result and how many Python and builtin functions it called: a measure of work that no load skews."""
    count = [0]

    def profile(frame, event, arg):
        if event in ("call", "c_call"):
            count[0] += 1

    sys.setprofile(profile)
    try:
        result = fn()
    finally:
        sys.setprofile(None)
    return result, count[0]


def _gradient_graph(ys, xs):
    """The nodes `gf.gradients` added, and their edges (inputs)."""
    graph = gf.get_default_graph()
    before = len(graph.get_operations())
    grads = gf.gradients(ys, xs)
    added = graph.get_operations()[before:]
    return grads, len(added), sum(len(op.inputs) for op in added)


def test_the_work_and_graph_of_add_ns_gradient_grow_linearly_with_its_inputs():
    work, size = {}, {}
    for n in (400, 800):
        with gf.Graph().as_default():
            xs = [gf.placeholder(gf.float64, []) for _ in range(n)]
            y = gf.add_n(xs)
            (grads, ops, edges), work[n] = _calls(lambda: _gradient_graph(y, xs))  # noqa: B023
            size[n] = (ops, edges)
            assert all(g is grads[0] for g in grads)  # TF-1's rule: the same gradient for every input
    assert work[800] < 2.5 * work[400], f"work {work}"
    assert size[800][1] < 2.5 * size[400][1] + 10, f"(ops, edges) {size}"


def test_add_ns_gradient_still_sums_over_what_broadcasting_stretched():
    with gf.Graph().as_default():
        a, b, c = gf.placeholder(gf.float64, [2, 3]), gf.placeholder(gf.float64, [1, 3]), gf.placeholder(gf.float64, [])
        grads = gf.gradients(gf.add_n([a, b, c]), [a, b, c])
        with gf.Session() as sess:
            values = sess.run(grads, {a: np.zeros((2, 3)), b: np.zeros((1, 3)), c: 0.0})
    np.testing.assert_array_equal(values[0], np.ones((2, 3)))
    np.testing.assert_array_equal(values[1], np.full((1, 3), 2.0))
    assert values[2] == 6.0


def test_the_graph_of_concats_gradient_grows_linearly_with_its_inputs():
    size = {}
    for n in (200, 400):
        with gf.Graph().as_default():
            xs = [gf.placeholder(gf.float64, [None, 2]) for _ in range(n)]
            y = gf.concat(xs, axis=0)
            _, ops, edges = _gradient_graph(y, xs)
            size[n] = (ops, edges)
    assert size[400][0] < 2.5 * size[200][0] and size[400][1] < 2.5 * size[200][1], f"(ops, edges) {size}"
    assert size[400][1] < 5 * 400, f"(ops, edges) {size}"  # a few edges per input


# ---------------------------------------------------------------------------------------------------------------------
# Static shapes refuse what is not a size, naming the function and argument, and build nothing.

SHAPED = {  # what to call with a bad shape, and the words the error must hold
    "placeholder": (lambda shape: gf.placeholder(gf.float32, shape), "placeholder(shape="),
    "get_variable": (lambda shape: gf.get_variable("v", shape), "get_variable('v', shape="),
    "zeros": (lambda shape: gf.zeros(shape), "zeros(shape="),
    "ones": (lambda shape: gf.ones(shape), "ones(shape="),
    "random_normal": (lambda shape: gf.random_normal(shape), "random_normal(shape="),
    "random_uniform": (lambda shape: gf.random_uniform(shape), "random_uniform(shape="),
    "truncated_normal": (lambda shape: gf.truncated_normal(shape), "truncated_normal(shape="),
    "placeholder_with_default": (lambda shape: gf.placeholder_with_default(0.0, shape), "(shape="),
    "fill": (lambda shape: gf.fill(shape, 1.0), "fill(dims="),
    "reshape": (lambda shape: gf.reshape(gf.get_default_graph().get_tensor_by_name("six:0"), shape), "reshape(shape="),
}
BAD_SHAPES = [  # (shape, error, the dimension as the message quotes it)
    ([2.5, 3], TypeError, "2.5"),
    ([2.0, 3], TypeError, "2.0"),
    ([True, 3], TypeError, "True"),
    (["2", 3], TypeError, "'2'"),
    ([-5, 3], ValueError, "-5"),
]


@pytest.mark.parametrize("what", sorted(SHAPED))
@pytest.mark.parametrize(("shape", "error", "quoted"), BAD_SHAPES, ids=lambda v: repr(v) if isinstance(v, list) else "")
def test_a_shape_that_is_not_a_size_is_refused_naming_the_argument(what, shape, error, quoted):
    build, words = SHAPED[what]
    if what == "placeholder_with_default" and shape == [True, 3]:
        pytest.skip("a scalar default does not fit [1, 3]")
    with gf.Graph().as_default() as graph:
        gf.zeros([6], name="six")
        nodes = len(graph.get_operations())
        with pytest.raises(error) as info:
            build(shape)
        assert len(graph.get_operations()) == nodes  # nothing half built
    message = str(info.value)
    assert words in message and quoted in message, message


@pytest.mark.parametrize("what", sorted(set(SHAPED) - {"reshape", "placeholder_with_default"}))
def test_minus_one_is_refused_where_tf1_refuses_it(what):
    build, words = SHAPED[what]
    with gf.Graph().as_default(), pytest.raises(ValueError, match=r"-1 is negative") as info:
        build([-1, 3])
    assert words in str(info.value)


def test_reshape_still_takes_one_minus_one_and_numpy_integers():
    with gf.Graph().as_default():
        x = gf.zeros([6])
        assert gf.reshape(x, [-1, np.int64(3)]).shape == (2, 3)
        assert gf.placeholder(gf.float32, [np.int32(2), None]).shape == (2, None)
        with pytest.raises(ValueError, match=r"reshape\(shape=...\) got \[-1, -1\]: at most one"):
            gf.reshape(x, [-1, -1])


@pytest.mark.parametrize(("depth", "error"), [(3.5, TypeError), (-1, ValueError), ("3", TypeError)])
def test_one_hot_refuses_a_depth_that_is_not_a_size(depth, error):
    with gf.Graph().as_default(), pytest.raises(error, match=r"one_hot\(depth="):
        gf.one_hot([0, 1], depth)


# ---------------------------------------------------------------------------------------------------------------------
# A hostile checkpoint state file: read bounded, refused with a CheckpointError naming it, nothing deleted.


def _saved_folder(tmp_path, checkpoints=2):
    """A folder with `checkpoints` checkpoints and the state file naming them; the saver, its session and files."""
    with gf.Graph().as_default():
        gf.Variable(1.0, name="w")
        saver = gf.train.Saver(max_to_keep=1)
        sess = gf.Session()
        sess.run(gf.global_variables_initializer())
        for step in range(checkpoints):
            saver.save(sess, str(tmp_path / "model"), global_step=step, write_state=step == checkpoints - 1)
    return saver, sess, sorted(os.listdir(tmp_path))


def _refused(tmp_path, files, match):
    state_file = str(tmp_path / "checkpoint")
    for follow in (gf.train.get_checkpoint_state, gf.train.latest_checkpoint):
        with pytest.raises(gf.train.CheckpointError, match=match) as info:
            follow(str(tmp_path))
        assert info.value.path == state_file and state_file in str(info.value)
    assert sorted(os.listdir(tmp_path)) == files  # nothing deleted


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_state_file_that_is_a_pipe_is_refused_at_once(tmp_path):
    _, _, files = _saved_folder(tmp_path)
    os.remove(tmp_path / "checkpoint")
    os.mkfifo(tmp_path / "checkpoint")
    result = []
    reader = threading.Thread(target=lambda: result.append(_caught(gf.train.latest_checkpoint, str(tmp_path))))
    reader.start()
    reader.join(10)
    if reader.is_alive():  # blocked opening the pipe: a writer opening it lets the read end
        os.close(os.open(tmp_path / "checkpoint", os.O_WRONLY | os.O_NONBLOCK))
        reader.join()
        pytest.fail("latest_checkpoint blocked on a state file that is a named pipe")
    assert isinstance(result[0], gf.train.CheckpointError) and "not a regular file" in str(result[0])
    _refused(tmp_path, files, "not a regular file")


def _caught(fn, *args):
    try:
        return fn(*args)
    except Exception as e:
        return e


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_state_file_linked_to_a_device_is_refused_without_reading_it(tmp_path):
    _, _, files = _saved_folder(tmp_path)
    os.remove(tmp_path / "checkpoint")
    os.symlink("/dev/zero", tmp_path / "checkpoint")
    _refused(tmp_path, files, "not a regular file")


def test_an_oversized_state_file_is_refused_before_it_is_read(tmp_path):
    _, _, files = _saved_folder(tmp_path)
    with open(tmp_path / "checkpoint", "r+b") as f:
        f.truncate(gf.train.checkpoint_state.STATE_FILE_MAX_BYTES + 1)  # sparse: costs no disk
    _refused(tmp_path, files, "bytes; a state file holds at most")


def _state(**changes):
    state = {
        "format": "graphflow.checkpoint_state",
        "format_version": 1,
        "model_checkpoint_path": "model-1",
        "all_model_checkpoint_paths": ["model-0", "model-1"],
        "all_model_checkpoint_timestamps": [1.0, 2.0],
    }
    return json.dumps({**state, **changes})


MALFORMED_STATES = {
    "deeply nested": '{"format": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "timestamp of 10**400": _state().replace("2.0]", "1" + "0" * 400 + "]"),
    "timestamp of 1e400": _state().replace("2.0]", "1e400]"),
    "timestamp as text": _state(all_model_checkpoint_timestamps=[1.0, "2"]),
    "timestamp as a bool": _state(all_model_checkpoint_timestamps=[1.0, True]),
    "paths as one string": _state(all_model_checkpoint_paths="model-1", all_model_checkpoint_timestamps=[]),
    "timestamps as one number": _state(all_model_checkpoint_timestamps=2.0),
    "not utf-8": b'{"format": "\xff"}',
    "a list": "[1, 2]",
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_STATES))
def test_a_malformed_state_file_is_a_checkpoint_error_naming_it_and_nothing_is_deleted(tmp_path, kind):
    saver, sess, files = _saved_folder(tmp_path)
    text = MALFORMED_STATES[kind]
    (tmp_path / "checkpoint").write_bytes(text if isinstance(text, bytes) else text.encode())
    _refused(tmp_path, files, "is damaged")
    saver.save(sess, str(tmp_path / "model"), global_step=5)  # the next save is as usual
    assert gf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model-5")
    sess.close()


# ---------------------------------------------------------------------------------------------------------------------
# A closed session refuses every later use, as TF-1's does.


def test_a_closed_session_refuses_loading_a_variable():
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        sess = gf.Session()
        sess.run(v.initializer)
        sess.close()
        for load in (lambda: v.load(2.0, sess), lambda: sess.load_variable(v, 2.0)):
            with pytest.raises(RuntimeError, match=r"^Attempted to use a closed Session\.$"):
                load()
        assert sess._values == {}


# ---------------------------------------------------------------------------------------------------------------------
# Integer division by zero is an error naming the op (TF-1 on CPU), not 0 and a numpy warning.

DIVISIONS = {"//": lambda x, y: x // y, "%": lambda x, y: x % y, "floordiv": gf.floordiv, "floormod": gf.floormod}


@pytest.mark.parametrize("dtype", [gf.int32, gf.int64, gf.uint8])
@pytest.mark.parametrize("how", sorted(DIVISIONS))
def test_integer_division_by_zero_is_an_error_naming_the_op(how, dtype):
    with gf.Graph().as_default():
        x = gf.constant([7, 8], dtype)
        y = gf.placeholder(dtype, [2])
        z = DIVISIONS[how](x, y)
        with gf.Session() as sess:
            expected = [7 // 2, 8 // 3] if how in ("//", "floordiv") else [7 % 2, 8 % 3]
            np.testing.assert_array_equal(sess.run(z, {y: [2, 3]}), expected)
            with pytest.raises(gf.errors.InvalidArgumentError, match="Integer division by zero") as info:
                sess.run(z, {y: [2, 0]})
    assert f"'{z.op_name}'" in str(info.value)


def test_float_division_by_zero_still_gives_inf_as_in_tf1():
    with gf.Graph().as_default(), gf.Session() as sess, np.errstate(divide="ignore"):
        assert sess.run(gf.constant(7.0) // gf.constant(0.0)) == np.inf


# ---------------------------------------------------------------------------------------------------------------------
# Saves that are killed, interrupted or refused leave nothing behind and say what happened.


def _temporary_files(folder):
    return sorted(p for p in os.listdir(folder) if p.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to kill a save midway")
def test_a_later_save_removes_what_a_killed_save_left_but_not_what_a_live_one_is_writing(tmp_path):
    from graphflow.train import atomic_file

    saver, sess, _ = _saved_folder(tmp_path)
    pid = os.fork()
    if pid == 0:  # a save killed midway: no clean-up code of the writer runs
        try:
            with atomic_file._atomic_file(str(tmp_path / "model-7.npz")) as f:
                f.write(b"x" * 100_000)
                f.flush()
                os._exit(0)
        finally:
            os._exit(1)
    os.waitpid(pid, 0)
    (killed,) = _temporary_files(tmp_path)
    with atomic_file._atomic_file(str(tmp_path / "model-8.npz")) as live:  # another writer, still at work
        live.write(b"y")
        (alive,) = set(_temporary_files(tmp_path)) - {killed}
        an_hour_ago = time.time() - 3600
        for name in (killed, alive):
            os.utime(tmp_path / name, (an_hour_ago, an_hour_ago))
        saver.save(sess, str(tmp_path / "model"), global_step=9)
        assert _temporary_files(tmp_path) == [alive]
    assert _temporary_files(tmp_path) == [] and (tmp_path / "model-8.npz").read_bytes() == b"y"
    sess.close()


def test_a_checkpoint_whose_state_update_was_interrupted_is_still_deleted_in_turn(tmp_path, monkeypatch):
    from graphflow.train import saver as saver_module

    saver, sess, _ = _saved_folder(tmp_path)  # keeps 1: model-1
    real = saver_module._write_state

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(saver_module, "_write_state", interrupted)
    with pytest.raises(KeyboardInterrupt):
        saver.save(sess, str(tmp_path / "model"), global_step=3)
    monkeypatch.setattr(saver_module, "_write_state", real)
    assert (tmp_path / "model-3.npz").exists()
    saver.save(sess, str(tmp_path / "model"), global_step=4)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model-0.npz", "model-4.npz"]  # model-0 was never kept
    sess.close()


def test_an_interrupt_in_a_save_surfaces_as_keyboard_interrupt_and_leaves_the_old_file(tmp_path, monkeypatch):
    import zipfile

    saver, sess, _ = _saved_folder(tmp_path)
    old = (tmp_path / "model-1.npz").read_bytes()
    real = zipfile.ZipFile.open
    opened = []

    def interrupted_after_open(self, name, mode="r", *args, **kwargs):
        handle = real(self, name, mode, *args, **kwargs)
        opened.append(name)
        if mode == "w" and len(opened) == 2:  # the interrupt lands once the entry's handle exists
            raise KeyboardInterrupt
        return handle

    monkeypatch.setattr(zipfile.ZipFile, "open", interrupted_after_open)
    with pytest.raises(KeyboardInterrupt):
        saver.save(sess, str(tmp_path / "model"), global_step=1)
    monkeypatch.undo()
    assert (tmp_path / "model-1.npz").read_bytes() == old
    assert _temporary_files(tmp_path) == []
    sess.close()


def test_a_full_disk_names_the_file_that_could_not_be_written(tmp_path, monkeypatch):
    saver, sess, _ = _saved_folder(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    with pytest.raises(OSError) as info:
        saver.save(sess, str(tmp_path / "model"), global_step=2)
    assert info.value.errno == 28 and str(tmp_path / "model-2.npz") in str(info.value)
    assert _temporary_files(tmp_path) == []
    sess.close()


def test_a_prefix_of_240_characters_saves_and_restores(tmp_path):
    saver, sess, _ = _saved_folder(tmp_path)
    prefix = saver.save(sess, str(tmp_path / ("m" * 240)), global_step=12)  # a 247-character file name
    assert os.path.basename(prefix) == "m" * 240 + "-12" and gf.train.latest_checkpoint(str(tmp_path)) == prefix
    saver.restore(sess, prefix)
    assert _temporary_files(tmp_path) == []
    sess.close()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_refused_linked_checkpoint_does_not_quote_what_the_link_points_to(tmp_path):
    saver, sess, _ = _saved_folder(tmp_path)
    (tmp_path / "secret.txt").write_bytes(b"SECRET-password")
    os.symlink(tmp_path / "secret.txt", tmp_path / "linked.npz")
    with pytest.raises(gf.train.CheckpointError, match="not a graphflow checkpoint") as info:
        saver.restore(sess, str(tmp_path / "linked"))
    assert "SECRET" not in str(info.value)
    (tmp_path / "plain.npz").write_bytes(b"<html>oops")  # a file of its own still says what it starts with
    with pytest.raises(gf.train.CheckpointError, match="html"):
        saver.restore(sess, str(tmp_path / "plain"))
    sess.close()
