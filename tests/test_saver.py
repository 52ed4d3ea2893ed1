"""Checkpoints: `gf.train.Saver` round trips (slots and global step included, into a new session or a rebuilt graph),
file naming, `max_to_keep`, the state file, mismatch errors that change nothing, atomic saves, damaged files, and
crafted ones (DEFLATE bombs, state files pointing out of their folder).

Each test builds its own graph and writes under pytest's `tmp_path`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
import zlib

import numpy as np
import pytest
from bombs import MIB, PeakAllocation, deflate_bomb, zip_archive

import graphflow as gf
from graphflow.train import checkpoint as checkpoint_module
from graphflow.train import saver as saver_module
from graphflow.train.saver import CheckpointError


def _model(seed: int = 0, hidden: int = 4, bias_dtype=gf.float64):
    """A 3-4-2 regression net trained by Adam, in the current default graph; returns (x, y, loss, train_op, step)."""
    rng = np.random.default_rng(seed)
    x = gf.placeholder(gf.float64, [None, 3], name="x")
    y = gf.placeholder(gf.float64, [None, 2], name="y")
    with gf.name_scope("layer1"):
        W1 = gf.Variable(rng.standard_normal((3, hidden)), name="kernel")
        # A float32 bias is left out of training: AdamOptimizer cannot yet mix float32 and float64 variables.
        b1 = gf.Variable(np.zeros(hidden, bias_dtype), trainable=bias_dtype == gf.float64, name="bias")
    with gf.name_scope("layer2"):
        W2 = gf.Variable(rng.standard_normal((hidden, 2)), name="kernel")
    h = gf.tanh(gf.matmul(x, W1) + gf.cast(b1, gf.float64))
    loss = gf.reduce_mean(gf.square(gf.matmul(h, W2) - y))
    step = gf.train.get_or_create_global_step()
    train = gf.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
    return x, y, loss, train, step


def _feed(x, y, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    return {x: rng.standard_normal((8, 3)), y: rng.standard_normal((8, 2))}


def _read(prefix: str) -> bytes:
    with open(prefix + ".npz", "rb") as f:
        return f.read()


def _values(sess, variables) -> dict[str, np.ndarray]:
    return dict(zip([v.op.name for v in variables], sess.run(list(variables)), strict=True))


@pytest.fixture
def trained(tmp_path):
    """A graph trained 3 Adam steps, saved once: (graph, session, saver, prefix, values at save time, feed)."""
    graph = gf.Graph()
    with graph.as_default():
        x, y, _, train, step = _model()
        saver = gf.train.Saver()
    sess = gf.Session(graph=graph)
    feed = _feed(x, y)
    for _ in range(3):
        sess.run(train, feed)
    prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    yield graph, sess, saver, prefix, _values(sess, graph.get_collection("variables")), feed
    sess.close()


# --------------------------------------------------------------------------------------------------------------------
# Round trips


def test_round_trip_into_a_new_session_restores_every_variable_including_slots(trained):
    graph, _, saver, prefix, saved, _ = trained
    names = set(saved)
    assert {"global_step", "beta1_power", "beta2_power", "layer1/kernel/Adam", "layer1/kernel/Adam_1"} <= names
    assert saved["global_step"] == 3
    with gf.Session(graph=graph) as fresh:
        saver.restore(fresh, prefix)
        restored = _values(fresh, graph.get_collection("variables"))
    for name, value in saved.items():
        np.testing.assert_array_equal(restored[name], value, err_msg=name)
        assert restored[name].dtype == value.dtype


def test_restore_into_a_rebuilt_identical_graph_and_training_continues_identically(trained):
    graph, sess, _, prefix, _, feed = trained
    other = gf.Graph()
    with other.as_default():
        x2, y2, _, train2, _ = _model(seed=99)  # other initial values: all must come from the file
        saver2 = gf.train.Saver()
    with gf.Session(graph=other) as sess2:
        saver2.restore(sess2, prefix)
        sess2.run(train2, {x2: feed[graph.get_tensor_by_name("x:0")], y2: feed[graph.get_tensor_by_name("y:0")]})
        sess.run(graph.get_operation_by_name("Adam/update"), feed)
        ours = _values(sess, graph.get_collection("variables"))
        theirs = _values(sess2, other.get_collection("variables"))
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(theirs[name], ours[name], err_msg=name)


def test_list_variables_and_load_variable_read_a_checkpoint_by_prefix_or_folder(trained, tmp_path):
    _, _, _, prefix, saved, _ = trained
    listed = gf.train.list_variables(prefix)
    assert listed == sorted((name, list(np.shape(value))) for name, value in saved.items())
    assert gf.train.list_variables(str(tmp_path)) == listed  # a folder: its newest checkpoint
    for name, value in saved.items():
        np.testing.assert_array_equal(gf.train.load_variable(str(tmp_path), name), value)
    with pytest.raises(CheckpointError, match=r"holds no variable 'layer9/kernel'; it holds .*layer1/kernel"):
        gf.train.load_variable(prefix, "layer9/kernel")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="holds no checkpoint state file"):
        gf.train.list_variables(str(empty))


def test_file_is_an_npz_with_a_manifest_and_restore_accepts_prefix_or_file(trained, tmp_path):
    graph, _, saver, prefix, saved, _ = trained
    assert prefix == str(tmp_path / "model.ckpt-3")
    with np.load(prefix + ".npz") as npz:  # readable by plain numpy, no pickles
        np.testing.assert_array_equal(npz["layer1/kernel"], saved["layer1/kernel"])
    with zipfile.ZipFile(prefix + ".npz") as zf:
        manifest = json.loads(zf.read("__manifest__.json"))
        assert zf.comment.startswith(b"graphflow-sha256:") and len(zf.comment) == 81
    assert manifest["format_version"] == checkpoint_module.FORMAT_VERSION
    assert manifest["graphflow_version"] == gf.GRAPHFLOW_VERSION
    assert manifest["global_step"] == 3
    kernel = next(v for v in manifest["variables"] if v["name"] == "layer1/kernel")
    assert kernel["shape"] == [3, 4] and np.dtype(kernel["dtype"]) == np.float64
    with gf.Session(graph=graph) as fresh:
        saver.restore(fresh, prefix + ".npz")
        np.testing.assert_array_equal(fresh.run(graph.get_tensor_by_name("layer2/kernel:0")), saved["layer2/kernel"])


def test_var_list_as_dict_renames_and_as_list_saves_a_subset(tmp_path):
    with gf.Graph().as_default():
        a = gf.Variable(np.arange(3.0), name="a")
        b = gf.Variable(np.ones((2, 2), np.float32), name="b")
        with gf.Session() as sess:
            path = gf.train.Saver({"renamed": a}).save(sess, str(tmp_path / "d"))
            subset = gf.train.Saver([b]).save(sess, str(tmp_path / "s.npz"))  # a trailing .npz is the extension
    assert subset == str(tmp_path / "s") and os.path.isfile(subset + ".npz")
    with np.load(path + ".npz") as npz:
        assert sorted(k for k in npz.files if not k.startswith("__")) == ["renamed"]
    with gf.Graph().as_default():
        c = gf.Variable(np.zeros(3), name="c")
        with gf.Session() as sess:
            gf.train.Saver({"renamed": c}).restore(sess, path)
            np.testing.assert_array_equal(sess.run(c), [0.0, 1.0, 2.0])
    with np.load(subset + ".npz") as npz:
        assert sorted(k for k in npz.files if not k.startswith("__")) == ["b"]
        assert npz["b"].dtype == np.float32
        np.testing.assert_array_equal(npz["b"], np.ones((2, 2)))


def test_same_values_give_identical_files(tmp_path):
    with gf.Graph().as_default():
        gf.Variable(np.arange(6.0).reshape(2, 3), name="w")
        saver = gf.train.Saver()
        with gf.Session() as sess:
            one = saver.save(sess, str(tmp_path / "one"), write_state=False)
            two = saver.save(sess, str(tmp_path / "two"), write_state=False)
    assert _read(one) == _read(two)


# --------------------------------------------------------------------------------------------------------------------
# Naming, max_to_keep, the state file


def test_global_step_as_int_or_variable_and_padding(tmp_path):
    with gf.Graph().as_default():
        step = gf.train.get_or_create_global_step()
        gf.Variable(1.0, name="w")
        with gf.Session() as sess:
            sess.run(step.assign(42))
            assert gf.train.Saver().save(sess, str(tmp_path / "m"), global_step=7) == str(tmp_path / "m-7")
            assert gf.train.Saver().save(sess, str(tmp_path / "m"), global_step=step) == str(tmp_path / "m-42")
            padded = gf.train.Saver(pad_step_number=True).save(sess, str(tmp_path / "p"), global_step=5)
            assert padded == str(tmp_path / "p-00000005")
            assert os.path.isfile(padded + ".npz")
            with pytest.raises(ValueError, match="global_step must be an integer"):
                gf.train.Saver().save(sess, str(tmp_path / "m"), global_step=1.5)
            with pytest.raises(ValueError, match="doesn't exist"):
                gf.train.Saver().save(sess, str(tmp_path / "missing" / "m"))


def test_max_to_keep_deletes_old_files_and_latest_checkpoint_follows(tmp_path):
    assert gf.train.latest_checkpoint(str(tmp_path)) is None
    assert gf.train.latest_checkpoint(str(tmp_path / "nowhere")) is None
    with gf.Graph().as_default():
        w = gf.Variable(0.0, name="w")
        saver = gf.train.Saver(max_to_keep=2)
        with gf.Session() as sess:
            for step in range(1, 5):
                sess.run(w.assign(float(step)))
                saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
            saver.save(sess, str(tmp_path / "other"), write_state=False)  # not counted, not recorded
    files = sorted(p for p in os.listdir(tmp_path) if p.endswith(".npz"))
    assert files == ["model.ckpt-3.npz", "model.ckpt-4.npz", "other.npz"]
    assert saver.last_checkpoints == [str(tmp_path / "model.ckpt-3"), str(tmp_path / "model.ckpt-4")]
    latest = gf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "model.ckpt-4")
    state = json.loads((tmp_path / "checkpoint").read_text())
    assert state["model_checkpoint_path"] == "model.ckpt-4"  # relative: the folder can be moved
    assert state["all_model_checkpoint_paths"] == ["model.ckpt-3", "model.ckpt-4"]
    ckpt = gf.train.get_checkpoint_state(str(tmp_path))
    assert ckpt.all_model_checkpoint_paths == [str(tmp_path / "model.ckpt-3"), latest]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    with gf.Graph().as_default():
        w = gf.Variable(0.0, name="w")
        with gf.Session() as sess:
            gf.train.Saver().restore(sess, latest)
            assert sess.run(w) == 4.0


def test_max_to_keep_none_keeps_every_file_and_latest_filename(tmp_path):
    with gf.Graph().as_default():
        gf.Variable(0.0, name="w")
        saver = gf.train.Saver(max_to_keep=None)
        with gf.Session() as sess:
            for step in range(4):
                saver.save(sess, str(tmp_path / "m"), global_step=step, latest_filename="state")
    assert len([p for p in os.listdir(tmp_path) if p.endswith(".npz")]) == 4
    assert not (tmp_path / "checkpoint").exists()
    assert gf.train.latest_checkpoint(str(tmp_path), "state") == str(tmp_path / "m-3")


def test_damaged_or_stale_state_file_raises_instead_of_returning_none(tmp_path):
    (tmp_path / "checkpoint").write_text("model_checkpoint_path: {")
    with pytest.raises(CheckpointError, match="checkpoint' is damaged"):
        gf.train.latest_checkpoint(str(tmp_path))
    with gf.Graph().as_default():
        gf.Variable(0.0, name="w")
        with gf.Session() as sess:
            prefix = gf.train.Saver().save(sess, str(tmp_path / "m"))
    os.remove(prefix + ".npz")
    with pytest.raises(CheckpointError, match=r"names '.*m', but '.*m\.npz' does not exist"):
        gf.train.latest_checkpoint(str(tmp_path))


# --------------------------------------------------------------------------------------------------------------------
# Mismatches: every problem named, nothing changed


def _restore_fails(graph, sess, prefix, match, max_allocation=None):
    """Restoring into `sess` raises CheckpointError matching `match`, every variable keeps its value, and (if given)
    the refused restore allocated at most `max_allocation` bytes at its peak."""
    variables = graph.get_collection("variables")
    before = _values(sess, variables)
    saver = gf.train.Saver(variables)
    with PeakAllocation() as peak, pytest.raises(CheckpointError, match=match) as info:
        saver.restore(sess, prefix)
    after = _values(sess, variables)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert prefix in str(info.value)
    if max_allocation is not None:
        assert peak.bytes <= max_allocation, f"the refused restore allocated {peak.bytes / MIB:.1f} MiB at its peak"
    return info.value


def test_missing_variable_is_named_and_nothing_changes(trained):
    _, _, _, prefix, _, _ = trained
    with gf.Graph().as_default() as graph:
        _model(seed=5)
        with gf.name_scope("layer3"):
            gf.Variable(np.zeros(2), name="kernel")
        with gf.Session() as sess:
            err = _restore_fails(graph, sess, prefix, r"'layer3/kernel': not found in the checkpoint")
    assert "did you mean 'layer" in str(err) and len(err.problems) == 1


def test_wrong_shape_and_wrong_dtype_are_all_named_with_expected_and_found(trained):
    _, _, _, prefix, _, _ = trained
    with gf.Graph().as_default() as graph:
        _model(seed=5, hidden=5, bias_dtype=gf.float32)
        with gf.Session() as sess:
            err = _restore_fails(graph, sess, prefix, "do not match, so no variable was changed")
    text = str(err)
    assert "'layer1/kernel': shape mismatch: the variable is [3,5] float64, the checkpoint holds [3,4] float64" in text
    assert "'layer1/bias': dtype mismatch: the variable is float32 [5], the checkpoint holds float64 [4]" in text
    assert "'layer2/kernel': shape mismatch" in text and "'layer1/kernel/Adam': shape mismatch" in text
    assert len(err.problems) == 7  # 3 variables, the 4 Adam slots of the kernels; not global_step
    assert not any(p.startswith("'global_step'") for p in err.problems)


def test_reshape_allows_same_size_and_other_graphs_variables_are_refused(tmp_path):
    with gf.Graph().as_default():
        gf.Variable(np.arange(6.0), name="w")
        with gf.Session() as sess:
            prefix = gf.train.Saver().save(sess, str(tmp_path / "flat"))
    with gf.Graph().as_default():
        w = gf.Variable(np.zeros((2, 3)), name="w")
        saver = gf.train.Saver(reshape=True)
        with gf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(w), np.arange(6.0).reshape(2, 3))
            with gf.Session(graph=gf.Graph()) as elsewhere, pytest.raises(ValueError, match="belongs to"):
                saver.restore(elsewhere, prefix)
            np.testing.assert_array_equal(sess.run(w), np.arange(6.0).reshape(2, 3))
        with gf.Session() as sess, pytest.raises(CheckpointError, match=r"shape \(6,\).*\(2, 3\)|reshape"):
            gf.train.Saver().restore(sess, prefix)  # without reshape=True, another shape is refused


def test_bad_arguments():
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            gf.train.Saver()
        assert gf.train.Saver(allow_empty=True).save(None, "unused") is None
        w = gf.Variable(1.0, name="w")
        with pytest.raises(TypeError, match=r"gf\.Variable"):
            gf.train.Saver([w, 3])
        with pytest.raises(ValueError, match="appears twice"):
            gf.train.Saver([w, w])
        with gf.Session() as sess, pytest.raises(ValueError, match="save_path is None"):
            gf.train.Saver().restore(sess, None)


# --------------------------------------------------------------------------------------------------------------------
# Atomic saves


def test_a_save_that_fails_midway_leaves_the_old_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    with gf.Graph().as_default():
        w = gf.Variable(np.arange(1000.0), name="w")
        v = gf.Variable(np.ones(10), name="v")
        saver = gf.train.Saver()
        with gf.Session() as sess:
            prefix = saver.save(sess, str(tmp_path / "model"))
            old = _read(prefix)
            old_state = (tmp_path / "checkpoint").read_bytes()
            sess.run(w.assign(np.zeros(1000)))
            real = np.lib.format.write_array
            calls = []

            def disk_full(fp, array, *args, **kwargs):
                calls.append(array.shape)
                if len(calls) == 2:  # the first variable is written, the second half-written
                    fp.write(b"\x93NUMPY partial")
                    raise OSError(28, "No space left on device")
                return real(fp, array, *args, **kwargs)

            monkeypatch.setattr(np.lib.format, "write_array", disk_full)
            with pytest.raises(OSError, match="No space left"):
                saver.save(sess, str(tmp_path / "model"))
            monkeypatch.setattr(np.lib.format, "write_array", real)
            assert _read(prefix) == old
            assert (tmp_path / "checkpoint").read_bytes() == old_state
            assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.npz"]
            monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
            with pytest.raises(OSError, match="I/O error"):
                saver.save(sess, str(tmp_path / "model"))
            monkeypatch.undo()
            assert _read(prefix) == old
            assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.npz"]
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(w), np.arange(1000.0))
            np.testing.assert_array_equal(sess.run(v), np.ones(10))


# --------------------------------------------------------------------------------------------------------------------
# Damaged files: a clear CheckpointError naming the file, never a raw traceback or wrong values


@pytest.fixture
def small_checkpoint(tmp_path):
    """(graph, session, prefix, original bytes): two variables, saved, then set to other values in the session."""
    graph = gf.Graph()
    with graph.as_default():
        w = gf.Variable(np.linspace(-1, 1, 12).reshape(3, 4), name="dense/kernel")
        b = gf.Variable(np.arange(4, dtype=np.float32), name="dense/bias")
        step = gf.train.get_or_create_global_step()
        saver = gf.train.Saver()
    sess = gf.Session(graph=graph)
    prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=10)
    sess.run([w.assign(np.full((3, 4), 7.0)), b.assign(np.full(4, 7.0, np.float32)), step.assign(99)])
    yield graph, sess, prefix, _read(prefix)
    sess.close()


def _corrupt(
    small_checkpoint, data: bytes, match: str = r"model\.ckpt-10\.npz' is (damaged|not a graphflow)"
) -> CheckpointError:
    graph, sess, prefix, _ = small_checkpoint
    with open(prefix + ".npz", "wb") as f:
        f.write(data)
    return _restore_fails(graph, sess, prefix, match)


def test_truncation_at_many_points_is_detected(small_checkpoint):
    original = small_checkpoint[3]
    for cut in [0, 1, 4, 30, 100, len(original) // 2, len(original) - 82, len(original) - 81, len(original) - 1]:
        err = _corrupt(small_checkpoint, original[:cut])
        assert err.path.endswith("model.ckpt-10.npz")


def test_single_flipped_bytes_anywhere_are_detected(small_checkpoint):
    original = small_checkpoint[3]
    rng = np.random.default_rng(0)
    positions = [*rng.choice(len(original), 30, replace=False), 0, len(original) - 1, len(original) - 70]
    for pos in positions:
        damaged = bytearray(original)
        damaged[pos] ^= 1 << int(rng.integers(8))
        _corrupt(small_checkpoint, bytes(damaged))


def test_garbage_empty_and_foreign_files_are_refused(small_checkpoint, tmp_path):
    _corrupt(small_checkpoint, b"", "the file is empty")
    _corrupt(small_checkpoint, np.random.default_rng(0).bytes(500), "not an .npz \\(zip\\) archive")
    _corrupt(small_checkpoint, b"GFCK" + small_checkpoint[3][4:], "checksum does not match")
    np.savez(tmp_path / "plain.npz", **{"dense/kernel": np.zeros((3, 4))})
    _corrupt(small_checkpoint, (tmp_path / "plain.npz").read_bytes(), "written by something other than")
    graph, sess, _, _ = small_checkpoint
    with pytest.raises(CheckpointError, match="not found"):
        gf.train.Saver(graph.get_collection("variables")).restore(sess, str(tmp_path / "nothing"))


def test_other_format_version_is_refused(small_checkpoint, monkeypatch):
    graph, sess, prefix, _ = small_checkpoint
    monkeypatch.setattr(checkpoint_module, "FORMAT_VERSION", 2)
    gf.train.Saver(graph.get_collection("variables")).save(sess, prefix)
    monkeypatch.undo()
    _restore_fails(
        graph,
        sess,
        prefix,
        r"has format version 2 \(written by graphflow .*\); this graphflow reads "
        r"format version 1",
    )


def test_a_session_that_refused_damaged_files_restores_the_intact_one_exactly(small_checkpoint):
    # Each test gets its own checkpoint and session, so the refusals that matter are the ones made here, in this
    # session, before the intact file is written back.
    graph, sess, prefix, original = small_checkpoint
    _corrupt(small_checkpoint, original[: len(original) // 2])
    _corrupt(small_checkpoint, original[:100] + bytes([original[100] ^ 0x10]) + original[101:])
    _corrupt(small_checkpoint, b"", "the file is empty")
    with open(prefix + ".npz", "wb") as f:
        f.write(original)
    gf.train.Saver(graph.get_collection("variables")).restore(sess, prefix)
    w, b, step = graph.get_collection("variables")
    np.testing.assert_array_equal(sess.run(w), np.linspace(-1, 1, 12).reshape(3, 4))
    assert sess.run(b).dtype == np.float32
    np.testing.assert_array_equal(sess.run(b), np.arange(4, dtype=np.float32))
    assert sess.run(step) == 0  # the step's value when saved; 10 only names the file


def test_a_failed_state_write_leaves_the_keep_forever_schedule_as_it_was(tmp_path, monkeypatch):
    with gf.Graph().as_default():
        gf.Variable(np.zeros(2), name="w")
        saver = gf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1e-9)  # every checkpoint is due
        with gf.Session() as sess:
            saver.save(sess, str(tmp_path / "m"), global_step=1)
            schedule = saver._next_keep_time

            def broken(*args, **kwargs):
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(saver_module, "_write_state", broken)
            with pytest.raises(OSError):
                saver.save(sess, str(tmp_path / "m"), global_step=2)  # would keep checkpoint 1 for good
            assert saver._next_keep_time == schedule
            # Checkpoint 2 was written, so max_to_keep deletes it in turn, though the state file does not name it.
            assert saver.last_checkpoints == [str(tmp_path / "m-1"), str(tmp_path / "m-2")]


# --------------------------------------------------------------------------------------------------------------------
# Crafted files: refused before they cost more memory than the file itself, or reach outside the folder

KERNEL = "dense/kernel.npy"  # (3, 4) float64 in small_checkpoint: 128 bytes of .npy header, 96 of data
ZEROS_MIB = 300  # each bomb below is about 300 KB and would expand to 300 MiB


def _sealed(original: bytes, replace: dict[str, tuple[bytes, int, int, int]]) -> bytes:
    """`original` rebuilt entry by entry, with a checksum trailer that matches, so that the file reaches
    decompression; `replace` maps an entry's name to (bytes stored, method, CRC-32, declared size)."""
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        entries = [(i.filename, *replace.get(i.filename, (zf.read(i), 0, i.CRC, i.file_size))) for i in zf.infolist()]
    unsealed = zip_archive(entries, checkpoint_module._TAG + b"0" * 64)
    return unsealed[:-64] + hashlib.sha256(unsealed[:-64]).hexdigest().encode("ascii")


def _entry(original: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        return zf.read(name)


def _bomb_declared(original, name):
    """The entry followed by 300 MiB of zeros, deflated; its headers declare the full size."""
    stream, crc, size = deflate_bomb(_entry(original, name), ZEROS_MIB)
    return {name: (stream, 8, crc, size)}


def _bomb_hidden(original, name):
    """The entry followed by 300 MiB of zeros, deflated; its headers declare (and its CRC-32 fits) only the entry."""
    genuine = _entry(original, name)
    stream, _, _ = deflate_bomb(genuine, ZEROS_MIB)
    return {name: (stream, 8, zlib.crc32(genuine), len(genuine))}


def _huge_kernel_in_the_manifest(original, _):
    """A manifest giving the kernel 300 MiB, and an entry that declares and holds exactly that."""
    manifest = json.loads(_entry(original, checkpoint_module.MANIFEST))
    shape = [ZEROS_MIB * MIB // 8]
    next(v for v in manifest["variables"] if v["name"] == "dense/kernel")["shape"] = shape
    text = json.dumps(manifest).encode()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": tuple(shape)})
    stream, crc, size = deflate_bomb(header.getvalue(), ZEROS_MIB)
    return {checkpoint_module.MANIFEST: (text, 0, zlib.crc32(text), len(text)), KERNEL: (stream, 8, crc, size)}


def _json_bomb(original, _):
    """A manifest of 1 MiB of `[0],`, deflated to 2 KB: inflated, json.loads would make 25 MiB of lists of it."""
    text = b"[" + b"[0]," * (MIB // 4 - 1) + b"[0]]"
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = deflater.compress(text) + deflater.flush()
    return {checkpoint_module.MANIFEST: (stream, 8, zlib.crc32(text), len(text))}


def _bzip2(original, name):
    return {name: (b"BZh91AY&SY", 12, 0, len(_entry(original, name)))}


HOSTILE_CHECKPOINTS = [  # build(original bytes, entry name) -> replaced entries, entry, what the error says
    (_bomb_declared, KERNEL, r"entry 'dense/kernel\.npy' declares 314573\d+ bytes, but the manifest gives"),
    (_bomb_hidden, KERNEL, r"entry 'dense/kernel\.npy' decompresses to more than the 224 bytes it declares"),
    (_bomb_declared, "__manifest__.json", r"entry '__manifest__\.json' declares 314573\d+ bytes"),
    (_bomb_hidden, "__manifest__.json", r"entry '__manifest__\.json' decompresses to more than the \d+ bytes"),
    (_huge_kernel_in_the_manifest, KERNEL, r"'dense/kernel': shape mismatch: the variable is \[3,4\] float64, the "
     r"checkpoint holds \[39321600\] float64"),
    (_json_bomb, "__manifest__.json", r"entry '__manifest__\.json' declares 1048577 bytes, but a manifest of 3 "
     r"variables may take at most 10\d\d\d bytes"),
    (_bzip2, KERNEL, r"entry 'dense/kernel\.npy' is compressed with method 12"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "entry", "match"),
    HOSTILE_CHECKPOINTS,
    ids=[
        "declared-bomb",
        "hidden-bomb",
        "declared-manifest-bomb",
        "hidden-manifest-bomb",
        "huge-manifest",
        "manifest-json-bomb",
        "bzip2",
    ],
)
def test_a_crafted_checkpoint_is_refused_before_it_decompresses_more_than_the_variables_need(
    small_checkpoint, build, entry, match
):
    graph, sess, prefix, original = small_checkpoint
    data = _sealed(original, build(original, entry))
    assert len(data) < 400_000
    with open(prefix + ".npz", "wb") as f:
        f.write(data)
    # The file itself is read whole; anything beyond a few MiB on top of it is the bomb going off.
    _restore_fails(graph, sess, prefix, match, max_allocation=len(data) + 4 * MIB)


def test_a_checkpoint_rebuilt_by_the_crafting_helper_restores_and_a_deflated_entry_is_read(small_checkpoint):
    # The refusals above are the format checks at work, not a helper that writes broken zips: rebuilt as it was, or
    # with the kernel deflated as a zip tool repacking the file would, the checkpoint restores the saved values.
    graph, sess, prefix, original = small_checkpoint
    kernel = _entry(original, KERNEL)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = deflater.compress(kernel) + deflater.flush()
    w, _, _ = graph.get_collection("variables")
    for replace in [{}, {KERNEL: (deflated, 8, zlib.crc32(kernel), len(kernel))}]:
        with open(prefix + ".npz", "wb") as f:
            f.write(_sealed(original, replace))
        sess.run(w.assign(np.zeros((3, 4))))
        gf.train.Saver(graph.get_collection("variables")).restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(w), np.linspace(-1, 1, 12).reshape(3, 4))
    assert checkpoint_module.read_checkpoint(prefix)["dense/kernel"].shape == (3, 4)


def _folder_with_a_checkpoint_outside(tmp_path):
    """(graph, session, saver, w, folder, outside prefix): `folder` holds a checkpoint of w = 1 and its state file,
    `tmp_path/elsewhere/model` another checkpoint of w = 1; w is then set to 5 in the session."""
    folder, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    graph = gf.Graph()
    with graph.as_default():
        w = gf.Variable(1.0, name="w")
        saver = gf.train.Saver(max_to_keep=1)
    sess = gf.Session(graph=graph)
    outside = saver.save(sess, str(elsewhere / "model"), write_state=False)
    saver.save(sess, str(folder / "model"), global_step=1)
    sess.run(w.assign(5.0))
    return graph, sess, saver, w, folder, outside


@pytest.mark.parametrize("field", ["model_checkpoint_path", "all_model_checkpoint_paths"])
@pytest.mark.parametrize("kind", ["parent", "absolute", "through-a-subfolder"])
def test_a_state_file_naming_a_path_outside_its_folder_is_refused(tmp_path, field, kind):
    _, sess, saver, w, folder, outside = _folder_with_a_checkpoint_outside(tmp_path)
    named = {"parent": "../elsewhere/model", "absolute": outside, "through-a-subfolder": "a/../../elsewhere/model"}
    state_file = folder / "checkpoint"
    state = json.loads(state_file.read_text())
    state[field] = named[kind] if field == "model_checkpoint_path" else [named[kind], *state[field]]
    state_file.write_text(json.dumps(state))
    problem = "an absolute path" if kind == "absolute" else "a path that leads out of its folder"
    match = f"state file '{re.escape(str(state_file))}' names '{re.escape(named[kind])}', {problem}"
    for follow in [
        lambda: gf.train.get_checkpoint_state(str(folder)),
        lambda: saver.restore(sess, gf.train.latest_checkpoint(str(folder))),
        # The usual resumption: taking over the old files for max_to_keep, which would later delete the outside one.
        lambda: saver.recover_last_checkpoints(gf.train.get_checkpoint_state(str(folder)).all_model_checkpoint_paths),
    ]:
        with pytest.raises(CheckpointError, match=match) as info:
            follow()
        assert info.value.path == str(state_file)
    assert sess.run(w) == 5.0
    saver.save(sess, str(folder / "model"), global_step=2)
    assert os.path.isfile(outside + ".npz")
    saver.restore(sess, outside)  # a path the caller passes is the caller's choice, absolute or not
    assert sess.run(w) == 1.0
    sess.close()


def test_state_file_paths_inside_the_folder_still_resolve_against_it(tmp_path):
    _, sess, saver, w, folder, _ = _folder_with_a_checkpoint_outside(tmp_path)
    (folder / "sub").mkdir()
    saver.save(sess, str(folder / "sub" / "model"), global_step=3, write_state=False)
    state_file = folder / "checkpoint"
    state = json.loads(state_file.read_text())
    state.update(model_checkpoint_path="./sub/x/../model-3", all_model_checkpoint_paths=["model-1", "sub/model-3"])
    state_file.write_text(json.dumps(state))
    assert gf.train.latest_checkpoint(str(folder)) == str(folder / "sub" / "model-3")
    assert gf.train.get_checkpoint_state(str(folder)).all_model_checkpoint_paths[0] == str(folder / "model-1")
    sess.run(w.assign(0.0))
    saver.restore(sess, gf.train.latest_checkpoint(str(folder)))
    assert sess.run(w) == 5.0
    sess.close()
