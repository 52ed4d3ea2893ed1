"""graphflow.distribute: Horovod's API in a world of one (in this process) and on two ranks (`mpiexec -n 2`).

The multi-process tests start tests/distribute_worker.py under the mpiexec of the `mpich` wheel, with a timeout, and
check what the ranks saved or printed and how the job ended.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
import tokenize
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
import graphflow.distribute as hvd
from graphflow.distribute.ops import fused_allreduce
from tests import distribute_worker as worker

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "distribute_worker.py"
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")


@pytest.fixture(autouse=True)
def world_of_one():
    """Each test in its own graph, in a world of one process (a test may shut it down; it is started again)."""
    hvd.init()
    with gf.Graph().as_default():
        yield
    if not hvd.is_initialized():
        hvd.init()


# --------------------------------------------------------------------------------------------------------------------
# A world of one process


def test_without_a_launcher_the_world_is_one_process():
    assert (hvd.size(), hvd.rank(), hvd.local_size(), hvd.local_rank(), hvd.mpi_enabled()) == (1, 0, 1, 0, False)


def test_import_graphflow_does_not_import_mpi4py():
    code = "import sys, graphflow, graphflow.distribute as hvd; hvd.init(); print('mpi4py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.stdout.strip() == "False", out.stderr


def test_a_launched_process_without_mpi4py_says_what_to_install():
    code = "import sys; sys.modules['mpi4py'] = None; import graphflow.distribute as hvd; hvd.init()"
    env = {**os.environ, "PMI_SIZE": "2", "PMI_RANK": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert out.returncode != 0 and "pip install graphflow[distributed]" in out.stderr


def test_collectives_return_their_input():
    x = gf.placeholder(gf.float32, [None, 3])
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    with gf.Session() as sess:
        for node in (hvd.allreduce(x), hvd.allreduce(x, op=hvd.Sum), hvd.allgather(x), hvd.broadcast(x, 0)):
            np.testing.assert_array_equal(sess.run(node, {x: value}), value)
            assert node.dtype == gf.float32


def test_distributed_optimizer_in_a_world_of_one_is_the_wrapped_optimizer():
    def train(distributed):
        with gf.Graph().as_default() as graph:
            net = worker.build(3, "adam", distributed)
            xs, ys = worker.data()
            with gf.Session() as sess:
                for xb, yb in zip(xs[:5], ys[:5], strict=True):
                    sess.run(net["train"], {net["x"]: xb, net["labels"]: yb})
                return {n.type for n in graph.nodes}, worker.weights(sess)

    types, plain = train(False)
    dist_types, dist = train(True)
    assert dist_types == types and not any(t.startswith("Horovod") for t in types)
    assert dist.keys() == plain.keys()
    for k in plain:
        np.testing.assert_array_equal(dist[k], plain[k])


def test_fused_allreduce_packs_each_dtype_into_one_buffer():
    values = [np.arange(6.0).reshape(2, 3), np.ones(4), np.float64(2.5), np.arange(3, dtype=np.float32)]
    tensors = [gf.constant(v) for v in values]
    reduced = fused_allreduce(tensors, hvd.Sum)
    graph = gf.get_default_graph()
    assert sum(n.type == "HorovodAllreduce" for n in graph.nodes) == 2  # float64 and float32
    with gf.Session() as sess:
        for value, tensor, out in zip(values, tensors, sess.run(reduced), strict=True):
            np.testing.assert_array_equal(out, value)
            assert out.dtype == value.dtype and tuple(tensor.shape) == np.shape(out)


def test_distributed_optimizer_delegates_slots():
    opt = hvd.DistributedOptimizer(gf.train.AdamOptimizer(0.1))
    w = gf.Variable(np.ones(3))
    opt.minimize(gf.reduce_sum(w * w))
    assert opt.get_slot_names() == ["m", "v"] and opt.get_slot(w, "m") is opt._optimizer.get_slot(w, "m")
    assert len(opt.variables()) == 4


def test_broadcast_global_variables_covers_optimizer_slots():
    w = gf.Variable(np.ones(3), name="w")
    gf.train.AdamOptimizer(0.1).minimize(gf.reduce_sum(w * w))
    bcast = hvd.broadcast_global_variables(0)
    assigned = {n.inputs[0].op_name for n in bcast.inputs}
    assert assigned == {v.op_name for v in gf.global_variables()} and len(assigned) == 5
    with gf.Session() as sess:
        assert sess.run(bcast) is None
        np.testing.assert_array_equal(sess.run(w), np.ones(3))


def test_bad_arguments_are_named():
    x = gf.constant(np.ones(3))
    with pytest.raises(ValueError, match=r"hvd\.Average or hvd\.Sum"):
        hvd.allreduce(x, op="Max")
    with pytest.raises(ValueError, match="not both"):
        hvd.allreduce(x, average=True, op=hvd.Sum)
    with pytest.raises(TypeError, match=r"op=hvd\.Sum"):
        hvd.allreduce(gf.constant(np.ones(3, dtype=np.int32)))
    with pytest.raises(ValueError, match="root_rank"):
        hvd.broadcast(x, 1)
    with pytest.raises(ValueError, match=r"Compression\.none"):
        hvd.allreduce(x, compression="fp16")
    with pytest.raises(TypeError, match="graphflow optimizer"):
        hvd.DistributedOptimizer("adam")
    with pytest.raises(ValueError, match="backward_passes_per_step"):
        hvd.DistributedOptimizer(gf.train.AdamOptimizer(0.1), backward_passes_per_step=2)
    np.testing.assert_array_equal(gf.Session().run(hvd.allreduce(gf.constant(np.ones(2, np.int32)), op=hvd.Sum)), 1)


def test_before_init_the_error_says_to_call_init():
    hvd.shutdown()
    with pytest.raises(ValueError, match=r"call hvd.init\(\) first"):
        hvd.size()
    with pytest.raises(ValueError, match=r"call hvd.init\(\) first"):
        hvd.DistributedOptimizer(gf.train.AdamOptimizer(0.1)).minimize(gf.reduce_sum(gf.Variable(np.ones(2))))


# --------------------------------------------------------------------------------------------------------------------
# Two ranks

needs_mpi = pytest.mark.skipif(
    MPIEXEC is None or __import__("importlib").util.find_spec("mpi4py") is None,
    reason="needs mpi4py and mpiexec: pip install graphflow[distributed]",
)


def launch(script: Path, *args: str, timeout: float = 120, ranks: int = 2) -> tuple[subprocess.CompletedProcess, float]:
    """Runs `script` on `ranks` ranks (0: without mpiexec); returns the finished process and its wall time in s."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(script), *args]
    start = time.perf_counter()
    done = subprocess.run(
        [MPIEXEC, "-n", str(ranks), *command] if ranks else command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**env, "MPLBACKEND": "Agg"},
        cwd=REPO,
    )
    return done, time.perf_counter() - start


def mpiexec(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """Runs tests/distribute_worker.py with `args` on two ranks."""
    return launch(WORKER, *args, timeout=timeout)


@needs_mpi
@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_two_ranks_on_half_batches_end_where_one_process_ends(optimizer, tmp_path):
    done, _ = mpiexec("train", str(tmp_path), optimizer)
    assert done.returncode == 0, done.stderr
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(2)]
    with gf.Graph().as_default():
        net = worker.build(100, optimizer, distributed=False)  # rank 0's start, which the broadcast gave rank 1
        xs, ys = worker.data()
        with gf.Session() as sess:
            start = worker.weights(sess)
            for xb, yb in zip(xs, ys, strict=True):
                sess.run(net["train"], {net["x"]: xb, net["labels"]: yb})
            reference = worker.weights(sess)
    kernel = "dense/kernel"
    assert not np.allclose(ranks[1][f"before/{kernel}"], ranks[0][f"before/{kernel}"])  # different seeds per rank
    np.testing.assert_array_equal(ranks[0][f"before/{kernel}"], start[kernel])
    assert not np.allclose(reference[kernel], start[kernel])  # training moved the weights
    for name, value in reference.items():
        np.testing.assert_array_equal(ranks[1][name], ranks[0][name], err_msg=name)  # every rank holds the same
        np.testing.assert_allclose(ranks[0][name], value, rtol=1e-5, atol=1e-5, err_msg=name)


@needs_mpi
def test_collectives_and_their_gradients_on_two_ranks():
    done, _ = mpiexec("collectives")
    assert done.returncode == 0, done.stderr
    assert all(f"collectives ok on rank {r}" in done.stdout for r in range(2)), done.stdout


@needs_mpi
@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("kill", "signal 9"),
        ("raise", "rank 1 of 2 raised RuntimeError: a deliberate failure"),
        # said by rank 0 after its wait, or by rank 1 itself when the job ends first
        ("exit", "rank 1 (of 2 )?left the job"),
    ],
)
def test_a_failing_rank_ends_the_job_with_an_error(mode, says):
    done, seconds = mpiexec("fail", mode, timeout=90)
    assert done.returncode != 0
    assert seconds < 60
    assert re.search(says, done.stdout + done.stderr), done.stdout + done.stderr


@needs_mpi
def test_tensors_of_different_shapes_end_the_job_naming_the_op():
    done, seconds = mpiexec("mismatch", timeout=90)
    assert done.returncode != 0 and seconds < 60
    # Both ranks raise; whichever aborts first ends the other, maybe before it prints.
    assert "HorovodAllreduce" in done.stderr
    assert "rank 0 has float64 [3]" in done.stderr or "rank 1 has float64 [4]" in done.stderr


@needs_mpi
def test_mnist_example_on_two_ranks_trains_and_only_rank_0_writes(tmp_path):
    """One epoch on two ranks (the docs give the full runs against one process)."""
    done, _ = launch(REPO / "examples" / "mnist_distributed.py", "--epochs", "1", "--out", str(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    # the ranks print at once through mpiexec, so one rank's line may start after another's unfinished one
    accuracies = dict(re.findall(r"rank (\d): test accuracy (\d\.\d+)", done.stdout))
    assert accuracies.keys() == {"0", "1"} and accuracies["0"] == accuracies["1"]  # one model, on every rank
    assert float(accuracies["0"]) > 0.93
    assert len(list(tmp_path.glob("model.ckpt-*"))) == 1 and len(list((tmp_path / "logs").iterdir())) == 1


@needs_mpi
def test_benchmark_reports_communication_per_step():
    args = ("--rounds", "1", "--steps", "2", "--batches", "32", "64")
    done, _ = launch(REPO / "benchmarks" / "distributed.py", *args, timeout=300, ranks=0)  # it starts mpiexec itself
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^\| (\d+) \| (\d+) \| (.+) \|$", done.stdout, flags=re.MULTILINE)
    assert [(b, r) for b, r, _ in rows] == [("32", "16"), ("64", "32")]
    for *_, cells in rows:  # local, distributed, allreduce in the step, allreduce alone: median (best)
        times = [float(v) for v in re.findall(r"[0-9.]+", cells)]
        assert len(times) == 8 and all(t > 0 for t in times)
    assert "Compute per example" in done.stdout and "Load average" in done.stdout


def test_the_example_names_graphflow_only_in_its_imports():
    """Swapping these three lines for TF-1's and Horovod's imports is all a TF-1 + Horovod setup needs."""
    source = (REPO / "examples" / "mnist_distributed.py").read_text()
    names = tokenize.generate_tokens(io.StringIO(source).readline)
    rows = sorted({t.start[0] for t in names if t.type == tokenize.NAME and t.string == "graphflow"})
    assert [source.splitlines()[r - 1] for r in rows] == [
        "import graphflow.compat.v1 as tf",
        "import graphflow.distribute as hvd",
        "from graphflow.examples.tutorials.mnist import input_data",
    ]
