"""`tfstyle demo --quick`: runs offline within its budget and writes a page whose every picture exists."""

import re
import subprocess
import sys
import time

import pytest


@pytest.mark.slow
def test_quick_demo_writes_a_page_with_pictures(tmp_path):
    out = tmp_path / "demo_out"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tfstyle", "demo", "--quick", "--out", str(out)], capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    elapsed = time.perf_counter() - start
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
