"""Shared by the training-step benchmarks: alternate implementations over rounds, print one Markdown table."""

import os
import statistics
import time

TORCH = "PyTorch 2.13 (eager)"
TORCH_BF16 = "PyTorch 2.13 (eager, autocast bfloat16)"
# a tfstyle variant row ("tfstyle, ..."): the step traced with `tfstyle.models.conv.WINOGRAD = False`
ONEDNN_DIRECT = "tfstyle, oneDNN's direct convolutions for its Winograd layers"


def usable_cores():
    """The cores this process may run on (`taskset -c 0 python ...` runs a learning benchmark on one core, so two
    can share the machine without either oversubscribing it); TensorFlow sizes its thread pools the same way."""
    return len(os.sched_getaffinity(0))


def cpu_report(bf16_rows=True):
    """Prints the CPU, its bfloat16 flags and what `precision="auto"` picks here (with the reason); with `bf16_rows`,
    also whether the benchmark's bf16 rows measure native bf16 or its emulation."""
    import platform

    from tfstyle.training.distribute import BF16_CPU_FLAGS, cpu_flags, resolve_precision

    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())  # fmt: skip
    flags = cpu_flags()
    simd = sorted(f for f in flags if f.startswith(("avx512", "amx", "avx2", "fma")))
    policy, reason = resolve_precision("auto")
    print(f"CPU: {model}; flags: {' '.join(simd)}; bf16 native flags present: "
          f"{sorted(set(BF16_CPU_FLAGS) & flags) or 'none'}; precision auto -> {policy} ({reason})")
    if bf16_rows and policy == "float32":
        print("bfloat16 is emulated on this CPU: bf16 rows below measure the emulation, not a native speed-up")


def torch_bf16(run):
    """`run` under torch.autocast("cpu", bfloat16): PyTorch's mixed precision, the counterpart of mixed_bfloat16."""
    import torch

    def autocast_run():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return run()

    return autocast_run


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


def alternating_times(functions, pairs):
    """Seconds of each call of the functions, called in turn `pairs` times (after one untimed call each): an A/B
    that the machine's slow drifts (other tenants) affect less than rounds do."""
    for fn in functions:
        fn()
    times = [[] for _ in functions]
    for _ in range(pairs):
        for fn, seconds in zip(functions, times):
            start = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - start)
    return times


def paired_ratio(run, baseline, steps):
    """Median over `steps` alternating pairs of run's time / baseline's time."""
    run_times, baseline_times = alternating_times([run, baseline], steps)
    return statistics.median(r / b for r, b in zip(run_times, baseline_times))


def report_pairs(runners, pairs, steps):
    """Times tfstyle's default step ("tfstyle tf.function") step by step, alternating, against PyTorch's (when
    `pairs`) and against every variant row of tfstyle ("tfstyle, ...": the same step with one of its forms
    switched off), and prints the median per-step ratios."""
    run = runners["tfstyle tf.function"][0]
    baselines = {TORCH: (pairs, "PyTorch's time")} if pairs else {}
    for name in runners:
        if name.startswith("tfstyle, "):
            baselines[name] = (pairs or 4 * steps, f"the time of the same step with {name.removeprefix('tfstyle, ')}")
    for name, (count, what) in baselines.items():
        ratio = paired_ratio(run, runners[name][0], count)
        print(f"step by step, alternating ({count} pairs): tfstyle takes {ratio:.3f}x {what} (median of per-step "
              "ratios)")  # fmt: skip


def compare(runners, steps, rounds, step_flops):
    """Times each runner (name -> run) `rounds` times, alternating (the machine is noisy); prints the table."""
    results = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            results[name].append(time_steps(run, steps))
    fastest = min(min(t) for t in results.values())
    print("| implementation | s/step (median per round) | best s/step | vs PyTorch, same precision (best / median) "
          "| GFLOP/s |\n|---|---|---|---|---|")
    for name, times in results.items():
        best = min(times)
        # bf16 rows are compared with PyTorch's autocast row, float32 rows with PyTorch's float32 row.
        reference = TORCH_BF16 if "bfloat16" in name and TORCH_BF16 in results else TORCH
        if reference in results:
            # best: the least-disturbed round of each; median: the typical round, which noise shifts less often
            typical = statistics.median(times) / statistics.median(results[reference])
            ratio = f"{best / min(results[reference]):.2f}x / {typical:.2f}x"
        else:
            ratio = f"{best / fastest:.2f}x of fastest"
        print(f"| {name} | {', '.join(f'{t:.3f}' for t in times)} | {best:.3f} | {ratio} | {step_flops / best / 1e9:.0f} |")
