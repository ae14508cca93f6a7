"""Browser latency of an exported model: LiteRT.js (WebAssembly on the CPU, threads when the page is cross-origin
isolated, as `tfstyle serve-web` serves it) in Debian's headless Chromium, against Python LiteRT for the same
`.tflite` file at the same size, 1 thread and all cores. Default: the shipped starry_night model at 256 px.

    python benchmarks/web_latency.py [--export FOLDER] [--runs 10]

The page times `model.run` alone (input tensors built, output read back to a typed array); Python times
`interpreter.invoke` with the same I/O. The first run of each is a warm-up and is not counted. Prints a Markdown
table with the machine.
"""

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import tempfile
import threading
import time


def browser_times(browser, web, images, runs):
    """Median ms per run in the page, and the thread count the page used."""
    from tfstyle.export.webpage import server

    httpd = server(web)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/")
        page.wait_for_function("window.tfstyle.ready || window.tfstyle.error", timeout=120_000)
        times = []
        for index in range(runs + 1):
            # the page runs on each change of the file input: alternate two files so every pick is a change
            page.set_input_files("#image", str(images[index % 2]))
            page.wait_for_function(f"window.tfstyle.runs >= {index + 1} || window.tfstyle.error", timeout=120_000)
            if page.evaluate("window.tfstyle.error"):
                raise SystemExit(page.evaluate("window.tfstyle.error"))
            if index:
                times.append(page.evaluate("window.tfstyle.lastMs"))
        return statistics.median(times), page.evaluate("window.tfstyle.threads")
    finally:
        httpd.shutdown()


def python_ms(path, image, threads, runs):
    from tfstyle.export.verify import interpreter, run

    model = interpreter(path, threads=threads)
    run(model, image)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(model, image)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", help="an export folder with report.json (default: the shipped starry_night)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    import numpy as np
    from playwright.sync_api import sync_playwright

    from tfstyle import pretrained
    from tfstyle.data import synthetic, write_image
    from tfstyle.export.webpage import LITERTJS_VERSION, write_page

    source = pathlib.Path(args.export or os.path.join(pretrained.path("starry_night"), "export"))
    report = json.loads((source / "report.json").read_text())
    size = report["size"]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {size} px; "
          f"LiteRT.js {LITERTJS_VERSION}; {chromium}; median of {args.runs} runs after one warm-up")  # fmt: skip
    print("| file | size (MB) | browser (ms) | browser threads | Python LiteRT 1 thread (ms) | "
          f"Python LiteRT {os.cpu_count()} threads (ms) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        scratch = pathlib.Path(scratch)
        images = [write_image(scratch / f"photo{i}.png", synthetic.labels_pair("test", i, size)[1]) for i in (0, 1)]
        image = synthetic.labels_pair("test", 0, size)[1].astype(np.float32) / 127.5 - 1.0
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])  # fmt: skip
        for artifact in (a for a in report["artifacts"] if a["file"].endswith(".tflite")):
            folder = scratch / artifact["file"].replace(".", "_")
            shutil.copytree(source, folder)
            web = write_page(folder, report, artifact=artifact["file"])
            in_browser, threads = browser_times(browser, web, images, args.runs)
            one = python_ms(web / artifact["file"], image, 1, args.runs)
            every = python_ms(web / artifact["file"], image, os.cpu_count(), args.runs)
            print(f"| {artifact['file']} | {artifact['bytes'] / 1e6:.2f} | {in_browser:.0f} | {threads} | {one:.0f} | "
                  f"{every:.0f} |")  # fmt: skip
        browser.close()


if __name__ == "__main__":
    main()
