"""The CUDA emulation header (csrc/cuda/emu) through the known-answer kernels of csrc/cuda/selftest.cu:
barriers and shared memory, the built-in indices, warp shuffles (all four kinds, with segment widths, int /
float / double) and votes, atomics across blocks, block reductions, deadlock and launch-limit errors, each
under every thread schedule. The kernels themselves are tested in test_cuda_emulated_kernels.py."""
import numpy as np
import pytest

from axonal import _C_cuda_emu as E
from cuda_emu_ops import SCHEDULES, ptr, schedule  # noqa: F401  (schedule is a fixture)


def test_module_identity():
    assert E.backend_name == "emulated"
    assert E.context_switch in ("x86-64 asm", "ucontext")
    assert E.get_schedule() == "forward"
    with pytest.raises(ValueError, match=r"^\[set_schedule\] order must be"):
        E.set_schedule("sideways")


@pytest.mark.parametrize("threads,blocks", [(1, 1), (32, 3), (96, 2), (1024, 2)])
def test_barrier_orders_shared_memory(schedule, threads, blocks):
    for mode in (0, 1):
        out = np.zeros(threads * blocks, np.int32)
        E.selftest_shared_exchange(ptr(out), threads, blocks, mode, True, 0)
        t = np.arange(threads)
        src = threads - 1 - t if mode == 0 else np.maximum(t - 1, 0)
        expected = (1000 * np.arange(blocks)[:, None] + src[None, :] + 1).ravel()
        np.testing.assert_array_equal(out, expected)


def test_missing_barrier_is_exposed_by_the_schedules():
    """Reading a neighbour's shared write without __syncthreads: right by luck in forward order (the left
    neighbour ran first), wrong in reverse and shuffled order; reading the mirror thread is wrong in all."""
    threads, blocks = 64, 2
    t = np.arange(threads)
    expected = {0: threads - 1 - t, 1: np.maximum(t - 1, 0)}
    wrong = {}
    for order in SCHEDULES:
        E.set_schedule(order, seed=7)
        for mode in (0, 1):
            out = np.zeros(threads * blocks, np.int32)
            E.selftest_shared_exchange(ptr(out), threads, blocks, mode, False, 0)
            exp = (1000 * np.arange(blocks)[:, None] + expected[mode][None, :] + 1).ravel()
            wrong[order, mode] = not np.array_equal(out, exp)
    E.set_schedule("forward")
    assert wrong == {("forward", 0): True, ("forward", 1): False, ("reverse", 0): True, ("reverse", 1): True,
                     ("shuffle", 0): True, ("shuffle", 1): True}


@pytest.mark.parametrize("grid,block", [((1, 1, 1), (1, 1, 1)), ((3, 2, 2), (5, 3, 2)), ((2, 1, 3), (32, 2, 1))])
def test_builtin_indices(schedule, grid, block):
    nb, nt = int(np.prod(grid)), int(np.prod(block))
    out = np.full((nb * nt, 12), -1, np.int32)
    E.selftest_indices(ptr(out), *grid, *block, 0)
    lin_t = np.arange(nt)
    tid = np.stack([lin_t % block[0], (lin_t // block[0]) % block[1], lin_t // (block[0] * block[1])], 1)
    lin_b = np.arange(nb)
    bid = np.stack([lin_b % grid[0], (lin_b // grid[0]) % grid[1], lin_b // (grid[0] * grid[1])], 1)
    exp = np.concatenate([np.tile(tid, (nb, 1)), np.repeat(bid, nt, axis=0), np.tile(block, (nb * nt, 1)),
                          np.tile(grid, (nb * nt, 1))], 1)
    np.testing.assert_array_equal(out, exp)


@pytest.mark.parametrize("warps", [1, 3])
def test_shuffles(schedule, warps):
    n = warps * 32
    oi, of, od = np.zeros((n, 8), np.int32), np.zeros((n, 2), np.float32), np.zeros((n, 2), np.float64)
    E.selftest_shuffles(ptr(oi), ptr(of), ptr(od), warps, 0)
    g = np.arange(n)
    lane, warp = g % 32, g // 32
    v = lane * 10 + warp * 1000
    vw = v.reshape(warps, 32)

    def from_lane(src):
        return vw[warp, src]

    def seg(width):
        return lane & ~(width - 1)

    exp = np.stack([
        from_lane((lane * 7 + 3) % 32),
        from_lane(np.where(lane + 3 < 32, lane + 3, lane)),
        from_lane(np.where(lane >= 5, lane - 5, lane)),
        from_lane(lane ^ 6),
        from_lane(seg(8) | ((lane + 1) & 7)),
        from_lane(np.where((lane & 15) + 2 < 16, lane + 2, lane)),
        from_lane(np.where(((lane ^ 9) & ~7) == seg(8), lane ^ 9, lane)),
        np.repeat(vw.sum(1), 32),
    ], 1)
    np.testing.assert_array_equal(oi, exp)
    np.testing.assert_array_equal(of[:, 0], from_lane(lane ^ 1) * np.float32(0.5))
    np.testing.assert_array_equal(of[:, 1], np.repeat(vw.max(1), 32) * np.float32(0.5))
    np.testing.assert_array_equal(od[:, 0], from_lane(31 - lane) * 0.25)
    np.testing.assert_array_equal(od[:, 1], from_lane(np.where(lane + 16 < 32, lane + 16, lane)) * 0.25)


def test_votes(schedule):
    warps = 3
    out = np.zeros((warps * 32, 4), np.uint32)
    E.selftest_votes(ptr(out), warps, 0)
    ballot = sum(1 << i for i in range(32) if i % 3 == 0)
    warp = np.arange(warps * 32) // 32
    np.testing.assert_array_equal(out[:, 0], ballot)
    np.testing.assert_array_equal(out[:, 1], (warp % 2 == 0).astype(np.uint32))
    np.testing.assert_array_equal(out[:, 2], 1)
    np.testing.assert_array_equal(out[:, 3], 0)


@pytest.mark.parametrize("blocks,threads", [(1, 1), (3, 96), (5, 256)])
def test_atomics(schedule, blocks, threads):
    n = blocks * threads
    ints = np.array([0, -1, 1, 0, -5], np.int32)
    ulls = np.zeros(2, np.uint64)
    floats, doubles = np.zeros(1, np.float32), np.zeros(1, np.float64)
    E.selftest_atomics(ptr(ints), ptr(ulls), ptr(floats), ptr(doubles), blocks, threads, 0)
    assert ints[0] == n and ints[1] == n - 1 and ints[2] == -(n - 1) and ints[3] == n
    assert 0 <= ints[4] < n
    assert ulls[0] == n
    assert int(ulls[1]) == sum(1 << (i % 64) for i in range(n)) if n < 64 else int(ulls[1]) == 2**64 - 1
    assert floats[0] == np.float32(0.5 * n) and doubles[0] == 0.25 * n


@pytest.mark.parametrize("n,threads", [(1, 32), (1000, 64), (4097, 1024)])
def test_block_sum(schedule, n, threads):
    x = np.random.default_rng(n).standard_normal(n)
    out = np.zeros(2)
    E.selftest_block_sum(ptr(out), ptr(x), n, threads, 0)
    np.testing.assert_allclose(out, [x.sum(), (x * x).sum()], rtol=1e-12)


def test_divergent_shuffle_is_a_reported_deadlock():
    out = np.zeros(32, np.int32)
    with pytest.raises(RuntimeError, match=r"^\[selftest_divergent_shuffle\] CUDA error: unspecified launch failure "
                                           r"\(emulated: barrier deadlock in block \(0, 0, 0\).*16 threads wait at "
                                           r"__syncthreads, 16 at a warp shuffle"):
        E.selftest_divergent_shuffle(ptr(out), 0)
    # The emulated device carries on: the next launch works.
    test_barrier_orders_shared_memory("forward", 32, 1)


def test_invalid_launch_configuration_raises():
    out = np.zeros(8, np.int32)
    with pytest.raises(RuntimeError, match=r"^\[selftest_indices\] CUDA error: invalid configuration argument "
                                           r"\(emulated: invalid launch configuration: grid \(1, 70000, 1\)"):
        E.selftest_indices(ptr(out), 1, 70000, 1, 1, 1, 1, 0)
    with pytest.raises(RuntimeError, match="invalid configuration"):
        E.selftest_indices(ptr(out), 1, 1, 1, 2048, 1, 1, 0)
