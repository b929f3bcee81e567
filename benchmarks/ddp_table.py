"""Data-parallel scaling on one machine: the CNN training step at a global batch of 128, axonal vs torch.

    PYTHONPATH=python python benchmarks/ddp_table.py [--rounds 3] [--steps 20] [--quick]
    python benchmarks/ddp_table.py --cost-model STEP_MS [--backward-tail-ms MS]   # only the N-machine model

Configurations (processes x kernel threads each; every one a fresh process, configurations interleaved over
--rounds rounds, each keeping its best round):
  1 x 1   one process, one thread, batch 128             (the base of the scaling efficiency)
  1 x 2   one process, two threads, batch 128
  2 x 1   two ranks under mpiexec, one thread each, 64 per rank: axonal DistributedDataParallel on MPI,
          torch DistributedDataParallel on gloo (launched by the same mpiexec, rendezvous over TCP)
  2 x 1 no_sync  the same two ranks inside no_sync(): compute only, no gradient averaging, which separates
          what the all-reduce costs from what two processes sharing the caches and memory cost
The step: zero_grad, forward of axonal.models.fashion_cnn() (torch: the twin in model_twins.py), cross-entropy,
backward, Adam step, on fixed random standardized images. images/s counts the global batch; scaling efficiency
is images/s over 2 x the 1 x 1 images/s. Targets (issue 16): axonal 2 x 1 >= 0.9 x axonal 1 x 2, and >= torch 2 x 1.

It also measures the inputs of the N-machine cost model in benchmarks/README.md (one process x 2 threads at
batch 64, the time from fc1.weight's gradient being final to the end of backward) and prints that model.
Numbers on a shared machine are noisy: run it when the load average is well below the core count.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GLOBAL_BATCH = 128
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ---------------------------------------------------------------------------------------------- the workers
def data(batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, batch).astype(np.int64)


def time_steps(step, barrier, warmup, steps, chunks=4):
    """Seconds per step: the best of `chunks` timed runs of steps // chunks steps, after `warmup` steps."""
    for _ in range(warmup):
        step()
    per = max(1, steps // chunks)
    best = float("inf")
    for _ in range(chunks):
        barrier()
        start = time.perf_counter()
        for _ in range(per):
            step()
        barrier()
        best = min(best, (time.perf_counter() - start) / per)
    return best


def axonal_worker(args):
    import axonal as ax
    import axonal.nn.functional as F
    from axonal import optim
    from axonal.models import fashion_cnn

    rank, world, barrier = 0, 1, (lambda: None)
    if args.ranks > 1:
        import axonal.distributed as dist

        dist.init_process_group("mpi")
        rank, world, barrier = dist.get_rank(), dist.get_world_size(), dist.barrier
    ax.set_num_threads(args.threads)
    ax.manual_seed(0)
    net = fashion_cnn()
    model = net
    if args.ranks > 1:
        model = ax.nn.parallel.DistributedDataParallel(net, bucket_cap_mb=args.bucket_cap_mb)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = data(args.batch, seed=rank)
    x, y = ax.from_numpy(xs), ax.from_numpy(ys)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    if args.no_sync:
        with model.no_sync():
            seconds = time_steps(step, barrier, args.warmup, args.steps)
    else:
        seconds = time_steps(step, barrier, args.warmup, args.steps)
    result = {"step_s": seconds, "images_per_s": args.batch * world / seconds}
    if args.profile_backward:
        result.update(backward_profile(ax, F, net, opt, x, y))
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


def backward_profile(ax, F, net, opt, x, y, repeats=10):
    """Median ms of forward (+ loss), of backward, and of backward after fc1.weight's gradient is final (the time
    its all-reduce, 96% of the gradient bytes, could hide behind)."""
    fc1_weight = net[7].weight
    marks = {}
    fc1_weight.register_post_accumulate_grad_hook(lambda p: marks.__setitem__("fc1", time.perf_counter()))
    fwd, bwd, tail = [], [], []
    for _ in range(repeats):
        opt.zero_grad()
        t0 = time.perf_counter()
        loss = F.cross_entropy(net(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
        tail.append(t2 - marks["fc1"])
    return {"forward_ms": 1e3 * statistics.median(fwd), "backward_ms": 1e3 * statistics.median(bwd),
            "backward_after_fc1_ms": 1e3 * statistics.median(tail)}


def torch_worker(args):
    import torch

    sys.path.insert(0, HERE)
    from model_twins import torch_twin

    torch.set_num_threads(args.threads)
    rank, world, barrier = 0, 1, (lambda: None)
    if args.ranks > 1:
        import torch.distributed as tdist

        rank, world = int(os.environ["PMI_RANK"]), int(os.environ["PMI_SIZE"])  # set by mpiexec (hydra)
        tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=rank, world_size=world)
        barrier = tdist.barrier
    torch.manual_seed(0)
    model = torch_twin("cnn", torch)
    if args.ranks > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=args.bucket_cap_mb)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = data(args.batch, seed=rank)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    if args.no_sync:
        with model.no_sync():
            seconds = time_steps(step, barrier, args.warmup, args.steps)
    else:
        seconds = time_steps(step, barrier, args.warmup, args.steps)
    if rank == 0:
        print("RESULT " + json.dumps({"step_s": seconds, "images_per_s": args.batch * world / seconds}), flush=True)
    if args.ranks > 1:
        torch.distributed.destroy_process_group()


# ---------------------------------------------------------------------------------------------- the driver
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else "mpiexec"


def run_config(lib, ranks, threads, batch, args, no_sync=False, profile=False):
    env = {**os.environ, **{v: str(threads) for v in THREAD_VARS}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "python"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--ranks", str(ranks), "--threads",
           str(threads), "--batch", str(batch), "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--bucket-cap-mb", str(args.bucket_cap_mb), "--port", str(free_port())]
    if no_sync:
        cmd.append("--no-sync")
    if profile:
        cmd.append("--profile-backward")
    if ranks > 1:
        cmd = [mpiexec(), "-n", str(ranks)] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


CONFIGS = [  # (label, ranks, threads, per-rank batch, no_sync)
    ("1 x 1", 1, 1, GLOBAL_BATCH, False),
    ("1 x 2", 1, 2, GLOBAL_BATCH, False),
    ("2 x 1", 2, 1, GLOBAL_BATCH // 2, False),
    ("2 x 1 no_sync", 2, 1, GLOBAL_BATCH // 2, True),
]


def measure(args, libs):
    best = {}
    for round_ in range(args.rounds):
        for label, ranks, threads, batch, no_sync in CONFIGS:
            for lib in libs:
                r = run_config(lib, ranks, threads, batch, args, no_sync)
                key = (lib, label)
                if key not in best or r["images_per_s"] > best[key]["images_per_s"]:
                    best[key] = r
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    profile = None
    for _ in range(args.rounds):  # the cost model's inputs: one machine (2 threads) at batch 64 per rank
        r = run_config("axonal", 1, 2, 64, args, profile=True)
        if profile is None or r["step_s"] < profile["step_s"]:
            profile = r
    return best, profile


def print_table(best, libs, profile):
    print(f"\nCNN training step (fashion_cnn + Adam), global batch {GLOBAL_BATCH}; load average "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}; best of each configuration's rounds")
    head = "| processes x threads | " + " | ".join(f"{lib} images/s | {lib} efficiency" for lib in libs)
    if len(libs) == 2:
        head += " | axonal / torch"
    print(head + " |")
    print("|" + " --- |" * (1 + 2 * len(libs) + (len(libs) == 2)))
    for label, ranks, threads, _, _ in CONFIGS:
        cells = []
        for lib in libs:
            ips = best[(lib, label)]["images_per_s"]
            eff = ips / (ranks * threads * best[(lib, "1 x 1")]["images_per_s"])
            cells += [f"{ips:.0f}", f"{eff:.2f}"]
        if len(libs) == 2:
            cells.append(f"{best[('axonal', label)]['images_per_s'] / best[('torch', label)]['images_per_s']:.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    a = {label: best[("axonal", label)]["images_per_s"] for label, *_ in CONFIGS}
    print(f"\naxonal 2 x 1 / 1 x 2: {a['2 x 1'] / a['1 x 2']:.2f} (target >= 0.9)")
    if "torch" in libs:
        t = best[("torch", "2 x 1")]["images_per_s"]
        print(f"axonal 2 x 1 / torch 2 x 1: {a['2 x 1'] / t:.2f} (target >= 1)")
    sync_cost = 1e3 * (best[("axonal", "2 x 1")]["step_s"] - best[("axonal", "2 x 1 no_sync")]["step_s"])
    print(f"axonal gradient averaging per step on this machine (2 x 1 minus no_sync): {sync_cost:.1f} ms")
    print(f"\none machine (1 process x 2 threads) at batch 64: step {1e3 * profile['step_s']:.1f} ms, forward "
          f"{profile['forward_ms']:.1f} ms, backward {profile['backward_ms']:.1f} ms, of which "
          f"{profile['backward_after_fc1_ms']:.1f} ms after fc1.weight's gradient is final")
    print_cost_model(1e3 * profile["step_s"], profile["backward_after_fc1_ms"])


# ---------------------------------------------------------------------------------------------- cost model
LINKS_GBPS = (10, 25, 100)
RANKS = (2, 8, 32, 128)
LATENCY_S = 20e-6  # per message of a ring step over TCP on Ethernet (an assumption; RDMA is ~2 us)
MODELS = {  # parameters: the demo CNN (fc 128) as it is, and the 1.63 M of bench_optim's fc-512 variant
    "demo CNN, 0.42 M parameters": 421_642,
    "CNN with fc 512, 1.63 M parameters": 1_630_000,
}


def allreduce_s(n, nbytes, gbps, messages=1):
    """Ring all-reduce: each rank sends (and receives) 2(N-1)/N of the bytes, in 2(N-1) steps per message."""
    return 2 * (n - 1) / n * nbytes * 8 / (gbps * 1e9) + 2 * (n - 1) * messages * LATENCY_S


def print_cost_model(step_ms, tail_ms):
    """Step time and efficiency for N machines at batch 64 per rank, from one machine's measured step time.

    Not overlapped: every gradient all-reduced as one message after backward (what one bucket, or no
    bucketing, gives: with the default 25 MB cap the demo CNN's 1.6 MB fc1.weight shares its bucket with the
    convolutions, whose gradients are final last, so it is this case too). Overlapped: bucket_cap_mb=1 gives
    three buckets (fc2 + fc1.bias, fc1.weight alone, the convolutions); the first two all-reduce while the
    convolutions' backward runs (tail_ms), so only what exceeds it shows, plus the last bucket after backward."""
    t_c, tail = step_ms / 1e3, tail_ms / 1e3
    print(f"\nN-machine model from a {step_ms:.1f} ms step at batch 64 per rank ({tail_ms:.1f} ms of backward left "
          f"after fc1.weight is final), ring all-reduce, {LATENCY_S * 1e6:.0f} us per message and ring step")
    conv_bytes = 4 * (320 + 18_496)  # conv1 + conv2 weights and biases: the last bucket
    for name, params in MODELS.items():
        nbytes = 4 * params
        print(f"\n{name} ({nbytes / 1e6:.2f} MB of float32 gradients)")
        print("| link | N | all-reduce ms (latency part) | step ms, not overlapped | efficiency "
              "| step ms, overlapped | efficiency |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for gbps in LINKS_GBPS:
            for n in RANKS:
                whole = allreduce_s(n, nbytes, gbps)
                latency = allreduce_s(n, 0, gbps)
                plain = t_c + whole
                early = allreduce_s(n, nbytes - conv_bytes, gbps, messages=2)
                last = allreduce_s(n, conv_bytes, gbps)
                overlapped = t_c + max(0.0, early - tail) + last
                print(f"| {gbps} Gb/s | {n} | {1e3 * whole:.2f} ({1e3 * latency:.2f}) | {1e3 * plain:.1f} | "
                      f"{t_c / plain:.2f} | {1e3 * overlapped:.1f} | {t_c / overlapped:.2f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=["axonal", "torch"], help=argparse.SUPPRESS)
    p.add_argument("--ranks", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=GLOBAL_BATCH, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--no-sync", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--profile-backward", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=20, help="timed steps per configuration and round")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--bucket-cap-mb", type=float, default=25, help="DDP bucket cap in both libraries")
    p.add_argument("--no-torch", action="store_true", help="axonal only")
    p.add_argument("--quick", action="store_true", help="1 round of 8 steps: a smoke run")
    p.add_argument("--cost-model", type=float, metavar="STEP_MS", help="print only the N-machine model")
    p.add_argument("--backward-tail-ms", type=float, default=0.0)
    args = p.parse_args()
    if args.worker == "axonal":
        return axonal_worker(args)
    if args.worker == "torch":
        return torch_worker(args)
    if args.cost_model is not None:
        return print_cost_model(args.cost_model, args.backward_tail_ms)
    if args.quick:
        args.rounds, args.steps, args.warmup = 1, 8, 2
    libs = ["axonal"]
    if not args.no_torch:
        try:
            import torch  # noqa: F401

            libs.append("torch")
        except ImportError:
            print("torch not installed: axonal only", file=sys.stderr)
    best, profile = measure(args, libs)
    print_table(best, libs, profile)


if __name__ == "__main__":
    main()
