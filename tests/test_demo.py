"""`tfstyle demo --quick`: runs offline within its budget and writes a page whose every picture exists, and which
a real headless browser opens without console errors."""

import re
import shutil
import subprocess
import sys
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo_out"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tfstyle", "demo", "--quick", "--out", str(out)], capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    return out, result, time.perf_counter() - start


@pytest.mark.slow
def test_quick_demo_writes_a_page_with_pictures(demo):
    out, result, elapsed = demo
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < 120, elapsed  # the quick budget is one minute of work (plus TensorFlow's start-up)
    page = (out / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 6  # fast style, Gatys, and a grid and a loss plot for each GAN
    assert all((out / src).is_file() for src in sources), sources
    readme = (out / "README.md").read_text()
    assert all((out / src).is_file() for src in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme))
    for title in ("Gatys et al. style transfer", "Pix2Pix on synthetic/labels", "CycleGAN on synthetic/stripes",
                  "Export to TFLite, verified", "The same on real data"):  # fmt: skip
        assert title in page and title in readme
    assert "weights were not available" in page  # offline: said plainly, with how to get them
    assert (out / "export" / "model_int8.tflite").exists() and "stripe_AtoB" in readme


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (CI: .ci/run installs it)")
def test_demo_page_opens_from_disk_in_a_browser(demo):
    """Opened as a file (no server), as a user double-clicks it: no console errors, every picture decoded."""
    from playwright.sync_api import sync_playwright

    out, result, _ = demo
    assert result.returncode == 0, result.stderr[-3000:]
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto((out / "index.html").as_uri())
        page.wait_for_load_state("load")
        widths = page.evaluate("Array.from(document.images).map((image) => image.naturalWidth)")
        page.screenshot(path=str(out / "page.png"), full_page=True)
        browser.close()
    assert problems == [], problems
    assert len(widths) == 6 and min(widths) > 0, widths  # every <img> loaded and decoded


def test_a_slow_int8_export_is_explained_in_the_demo():
    """The exporter's loud 'int8 is SLOWER' line can fire on the demo's tiny network; the page says why."""
    from tfstyle.demo import slow_int8_note

    slow = {"warnings": ["!!! model_int8.tflite is 1.2x SLOWER than fp32 at 1 thread(s) (4.78 ms vs 3.98 ms) on this CPU"]}
    note = slow_int8_note(slow, 64)
    assert "64 px" in note and "benchmarks/RESULTS.md" in note
    assert slow_int8_note({"warnings": []}, 64) is None
    assert slow_int8_note({"warnings": ["skipped fp16: ..."]}, 64) is None
