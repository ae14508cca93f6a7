"""Images/second of the 256-px training pipelines on the shared real samples (uncached vs cached).

Run: python benchmarks/data_pipeline.py [--data ../shared/data] [--epochs 3]
"""

import argparse
import os
import time

import tfstyle  # noqa: F401
from tfstyle.data import load_paired, load_unpaired


def measure(make, epochs):
    ds = make()
    rates = []
    for _ in range(epochs):
        start, count = time.perf_counter(), 0
        for a, _ in ds:
            count += int(a.shape[0])
        rates.append(count / (time.perf_counter() - start))
    return rates  # epoch 1 decodes + resizes; later epochs read the cache


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "facades (paired, 512x256 JPEG pairs)": lambda cache: lambda: load_paired(
            os.path.join(args.data, "facades_sample"), image_size=256, batch_size=1, cache=cache),
        "horse2zebra (unpaired, 256x256 JPEGs)": lambda cache: lambda: load_unpaired(
            os.path.join(args.data, "horse2zebra_sample"), image_size=256, batch_size=1, cache=cache),
    }  # fmt: skip
    print("| pipeline | cache | epoch 1 (img/s) | later epochs (img/s) |\n|---|---|---|---|")
    for name, factory in cases.items():
        for cache in (False, True):
            rates = measure(factory(cache), args.epochs)
            later = sum(rates[1:]) / max(len(rates) - 1, 1)
            print(f"| {name} | {'yes' if cache else 'no'} | {rates[0]:.0f} | {later:.0f} |")


if __name__ == "__main__":
    main()
