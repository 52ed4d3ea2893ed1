"""The threading policy (graphflow/threads.py): its decision as a function of the cores, the load other processes
put on them and a session's override; how it measures that load; when it looks; and `Session(config=...)`."""

from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow import threads


@pytest.mark.parametrize(
    "cores, others, override, cap, want",
    [
        (2, 0.0, 0, None, 2),  # idle: every core
        (2, 0.2, 0, None, 2),  # a little background work does not take a core
        (2, 0.3, 0, None, 1),  # more than SLACK of a core does
        (2, 1.0, 0, None, 1),  # one busy process: one thread
        (2, 5.0, 0, None, 1),  # never fewer than one
        (4, 1.2, 0, None, 3),  # one core taken, and a fifth of another
        (4, 1.3, 0, None, 2),
        (4, 0.9, 0, None, 3),
        (8, 0.0, 0, 2, 2),  # BLAS's own setting (OPENBLAS_NUM_THREADS=2) is the most
        (1, 0.0, 0, None, 1),
        (2, 1.0, 3, None, 3),  # an override wins, whatever the load
        (4, 0.0, 1, None, 1),
    ],
)
def test_the_thread_count_follows_free_cores_and_the_override(cores, others, override, cap, want):
    assert threads.blas_threads(cores, others, override, cap) == want


def test_session_threads_reads_tf1s_config_names():
    assert threads.session_threads(None) == (0, 0)
    config = gf.ConfigProto(intra_op_parallelism_threads=3, inter_op_parallelism_threads=1)
    assert threads.session_threads(config) == (3, 1)
    assert gf.compat.v1.ConfigProto is gf.ConfigProto


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_a_bad_thread_count_names_the_field(bad):
    with pytest.raises(ValueError, match="intra_op_parallelism_threads must be a non-negative integer"):
        gf.Session(config=gf.ConfigProto(intra_op_parallelism_threads=bad))
    config = gf.ConfigProto()
    config.inter_op_parallelism_threads = bad
    with pytest.raises(ValueError, match="inter_op_parallelism_threads"):
        gf.Session(config=config)


def test_config_proto_keeps_tf1s_other_fields_and_refuses_unknown_ones():
    config = gf.ConfigProto(allow_soft_placement=True, log_device_placement=False, device_count={"GPU": 0})
    config.gpu_options.allow_growth = True
    assert config.allow_soft_placement and config.gpu_options.allow_growth
    gf.Session(config=config).close()
    with pytest.raises(ValueError, match='ConfigProto has no "intra_op_threads" field'):
        gf.ConfigProto(intra_op_threads=2)
    with pytest.raises(ValueError, match='GPUOptions has no "grow" field'):
        gf.GPUOptions(grow=True)


class Clock:
    def __init__(self) -> None:
        self.now, self.cpu = 100.0, 10.0

    def monotonic(self) -> float:
        return self.now

    def process_time(self) -> float:
        return self.cpu


def _stat(busy_ticks: tuple[int, int], idle_ticks: int = 0) -> str:
    lines = [f"cpu  {sum(busy_ticks)} 0 0 {idle_ticks} 0 0 0 0 0 0"]
    lines += [f"cpu{i} {b} 0 0 {idle_ticks} 0 0 0 0 0 0" for i, b in enumerate(busy_ticks)]
    return "\n".join([*lines, "intr 1 2 3", ""])


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(threads, "time", fake)
    return fake


def test_the_sampler_counts_other_processes_on_our_cores_only(tmp_path, clock):
    stat = tmp_path / "stat"
    stat.write_text(_stat((1000, 5000)))
    sampler = threads.CpuSampler((0,), str(stat))  # we may run on cpu0 only
    hz = sampler.hz
    # One second later cpu0 was busy 0.9 s, 0.3 s of it ours; cpu1's work is on a core we cannot use.
    clock.now += 1.0
    clock.cpu += 0.3
    stat.write_text(_stat((1000 + int(0.9 * hz), 5000 + hz)))
    assert sampler.others_busy() == pytest.approx(0.6)
    # Our own work (a spinning BLAS worker included) never counts as another's.
    clock.now += 1.0
    clock.cpu += 1.0
    stat.write_text(_stat((1000 + int(1.9 * hz), 5000 + hz)))
    assert sampler.others_busy() == pytest.approx(0.0)


def test_the_sampler_reports_no_load_without_proc_stat(tmp_path, clock):
    sampler = threads.CpuSampler((0, 1), str(tmp_path / "missing"))
    clock.now += 1.0
    assert sampler.others_busy() == 0.0


class FakeBlas:
    def __init__(self, threads: int) -> None:
        self.num_threads = threads
        self.calls: list[int] = []

    def set_num_threads(self, n: int) -> None:
        self.calls.append(n)
        self.num_threads = n


class FakeSampler:
    """Other processes' CPU time as a rate (`load`, in cores) that holds while the clock moves on (`advance`)."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.load, self.looks, self.restarts = clock, 0.0, 0, 0
        self.work = 0.0  # CPU-seconds other processes used so far
        self._start()

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds
        self.work += self.load * seconds

    def _start(self) -> None:
        self.last, self.work_then = (self.clock.now, 0.0, 0.0), self.work

    def restart(self) -> None:
        self.restarts += 1
        self._start()

    def others_busy(self) -> float:
        self.looks += 1
        busy = (self.work - self.work_then) / (self.clock.now - self.last[0])
        self._start()
        return busy


@pytest.fixture
def policy(clock, monkeypatch):
    policy = threads.ThreadPolicy()
    policy.cores = (0, 1)
    blas = FakeBlas(2)
    policy._libraries, policy._cap = [blas], 2
    sampler = FakeSampler(clock)
    monkeypatch.setattr(threads, "CpuSampler", lambda cores: sampler)
    return policy, blas, sampler


def run(policy, sampler, seconds: float = 0.001) -> None:
    policy.before_run(0)
    sampler.advance(seconds)
    policy.after_run()


def test_the_policy_looks_once_per_window_and_follows_the_load(policy):
    policy, blas, sampler = policy
    run(policy, sampler)  # the first run starts measuring, with BLAS's own count
    assert policy.chosen == 2 and sampler.looks == 0
    sampler.load = 1.0  # another process starts
    for _ in range(200):  # 200 runs of 1 ms: the first look comes after FIRST_WINDOW, then every WINDOW
        run(policy, sampler)
    assert 1 <= sampler.looks <= 2 + 0.2 / threads.WINDOW
    assert policy.current == 1 and blas.calls == [1]  # one change, made once
    sampler.load = 0.0  # it stops
    for _ in range(2000):
        run(policy, sampler)
    assert sampler.looks <= 2 + 2.2 / threads.WINDOW  # looks are counted runs apart, not every run
    assert policy.current == 2 and blas.calls == [1, 2]


def test_a_pause_between_runs_is_not_measured(policy):
    policy, blas, sampler = policy
    for _ in range(300):  # an idle machine: two threads
        run(policy, sampler)
    assert policy.current == 2 and sampler.looks >= 1
    for _ in range(5):  # another program works only between our blocks of runs: 0.5 s busy, then 0.3 s of runs
        sampler.load = 1.0
        sampler.advance(0.5)
        sampler.load = 0.0
        restarts = sampler.restarts
        for _ in range(300):
            run(policy, sampler)
            assert policy.current == 2
        assert sampler.restarts == restarts + 1  # the first run after the pause measured from then
    assert blas.calls == []
    sampler.load = 1.0  # a load that stays is seen within a window of runs
    for _ in range(300):
        run(policy, sampler)
    assert policy.current == 1 and blas.calls == [1]


def test_after_a_pause_the_next_look_comes_within_a_window_whatever_the_runs_length(policy):
    policy, blas, sampler = policy
    for _ in range(1000):  # short runs: about 200 of them fill a window
        run(policy, sampler, 0.001)
    sampler.load = 1.0  # a load arrives while the process does something else, and stays
    for _ in range(4):  # blocks of 30 runs of 8 ms, 0.1 s apart
        sampler.advance(0.1)
        for _ in range(30):
            run(policy, sampler, 0.008)
    assert policy.current == 1 and blas.calls == [1]


def test_an_override_applies_to_its_session_and_the_choice_comes_back(policy):
    policy, blas, _ = policy
    policy.before_run(0)
    policy.before_run(3)
    assert blas.num_threads == 3
    policy.before_run(3)
    assert blas.calls == [3]  # not set again while it holds
    policy.before_run(0)
    assert blas.num_threads == 2


def test_a_session_with_an_override_sets_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    controller = threadpoolctl.ThreadpoolController()
    before = {id(c): c.num_threads for c in controller.lib_controllers if c.user_api == "blas"}
    if not before:
        pytest.skip("no BLAS library with a thread pool that threadpoolctl can control")
    try:
        with gf.Graph().as_default():
            x = gf.constant(np.ones((4, 4)))
            y = gf.matmul(x, x)
            with gf.Session(config=gf.ConfigProto(intra_op_parallelism_threads=1)) as sess:
                np.testing.assert_array_equal(sess.run(y), np.full((4, 4), 4.0))
        assert threads.POLICY.current == 1
        assert all(c.num_threads == 1 for c in threads.POLICY.libraries())
    finally:
        for c in threadpoolctl.ThreadpoolController().lib_controllers:
            if c.user_api == "blas":
                c.set_num_threads(max(before.values()))
        threads.POLICY.current = 0
