"""Shared by the training-step benchmarks: alternate implementations over rounds, print one Markdown table."""

import statistics
import time

TORCH = "PyTorch 2.13 (eager)"


def time_steps(run, steps, warmup=1):
    """Median seconds of `steps` calls of `run` after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(runners, steps, rounds, step_flops):
    """Times each runner (name -> run) `rounds` times, alternating (the machine is noisy); prints the table."""
    results = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            results[name].append(time_steps(run, steps))
    torch_time = min(results[TORCH])
    print("| implementation | s/step (median per round) | best s/step | vs PyTorch | GFLOP/s |\n|---|---|---|---|---|")
    for name, times in results.items():
        best = min(times)
        print(f"| {name} | {', '.join(f'{t:.3f}' for t in times)} | {best:.3f} | {best / torch_time:.2f}x | "
              f"{step_flops / best / 1e9:.0f} |")  # fmt: skip
