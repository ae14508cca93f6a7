"""The exported model in a real headless Chromium (Debian's, driven by Playwright): the page loads LiteRT.js from
the export folder, runs a picked image, and its canvas matches Python LiteRT's output for the same file."""

import json
import pathlib
import re
import shutil
import threading

import keras
import numpy as np
import pytest

from tfstyle.data import read_image
from tfstyle.export import DEFAULT_MIN_PSNR, export_model
from tfstyle.export.verify import interpreter, psnr, run, to_uint8
from tfstyle.export.webpage import LITERTJS_VERSION, server, write_page
from tfstyle.models import resnet_generator

from conftest import save_image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SIZE = 32
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (CI: .ci/run installs it)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny ResNet generator exported to fp32 and int8 (uint8 pixels in and out), with the web page."""
    keras.utils.set_random_seed(4)
    folder = tmp_path_factory.mktemp("export")
    generator = resnet_generator(2, ngf=8)
    images = np.random.default_rng(0).uniform(-1, 1, (12, SIZE, SIZE, 3)).astype(np.float32)
    report = export_model(generator, folder, size=SIZE, quantize=("fp32", "int8"), io="uint8",
                          calibration=images[:8], heldout=images[8:], runs=1)  # fmt: skip
    return folder, report, generator


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _serve(folder):
    httpd = server(folder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def _is_problem(message):
    """A console error that is not LiteRT's own C++ log, which its WebAssembly build writes to stderr, and so to
    console.error, line by line ("INFO: [environment.cc:36] ...", "INFO: Created TensorFlow Lite XNNPACK ...")."""
    return message.type == "error" and not re.match(r"(INFO|WARNING): ", message.text)


def _open(browser, url):
    page, problems = browser.new_page(), []
    page.on("console", lambda message: problems.append(message.text) if _is_problem(message) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.wait_for_function("window.tfstyle && (window.tfstyle.ready || window.tfstyle.error)", timeout=60_000)
    return page, problems


def _canvas_pixels(page, size):
    values = page.evaluate(f"""() => Array.from(document.getElementById('output').getContext('2d')
                                   .getImageData(0, 0, {size}, {size}).data)""")
    return np.asarray(values, np.uint8).reshape(size, size, 4)[..., :3]


def _run_page(browser, web, image_path, size, screenshot):
    """Opens the page, feeds one image, waits for the result; returns (canvas pixels, model card text, problems)."""
    httpd, url = _serve(web)
    try:
        page, problems = _open(browser, url)
        assert page.evaluate("window.tfstyle.error") is None and "Ready" in page.inner_text("#status")
        card = page.inner_text("#card")
        page.set_input_files("#image", str(image_path))
        page.wait_for_function("window.tfstyle.runs >= 1 || window.tfstyle.error", timeout=120_000)
        assert page.evaluate("window.tfstyle.error") is None
        page.screenshot(path=str(screenshot))
        return _canvas_pixels(page, size), card, problems
    finally:
        httpd.shutdown()


@pytest.mark.parametrize("artifact", ["model_int8.tflite", "model_fp32.tflite"])
def test_page_output_matches_python_litert(tmp_path, exported, browser, artifact):
    folder, report, generator = exported
    web = write_page(folder, report, artifact=artifact)
    image_path = save_image(tmp_path / "test.png", np.random.default_rng(1).integers(0, 256, (SIZE, SIZE, 3), np.uint8))
    in_browser, card, problems = _run_page(browser, web, image_path, SIZE, tmp_path / "page.png")
    mode = artifact.split("_")[1].split(".")[0]
    assert artifact in card and mode in card and f"{SIZE}×{SIZE}" in card
    assert problems == [], "\n".join(problems)
    pixels = read_image(image_path)
    python = run(interpreter(web / artifact), pixels.astype(np.float32) / 127.5 - 1.0)
    keras_out = to_uint8(generator(pixels[None].astype(np.float32) / 127.5 - 1.0).numpy()[0])
    across_runtimes, against_keras = psnr(python, in_browser), psnr(keras_out, in_browser)
    print(f"{artifact}: browser vs Python LiteRT {across_runtimes:.1f} dB, browser vs Keras {against_keras:.1f} dB")
    assert across_runtimes >= DEFAULT_MIN_PSNR[mode] and against_keras >= DEFAULT_MIN_PSNR[mode]
    assert (tmp_path / "page.png").stat().st_size > 1000


def test_shipped_model_runs_in_the_page(tmp_path, browser):
    """The shipped fast-style model's int8 file, as an app developer gets it, in the browser at 256 px."""
    from tfstyle import pretrained
    from tfstyle.data import synthetic

    folder = tmp_path / "starry_night"
    shutil.copytree(pathlib.Path(pretrained.path("starry_night")) / "export", folder)
    report = json.loads((folder / "report.json").read_text())
    web = write_page(folder, report, artifact="model_int8.tflite")
    size = report["size"]
    image_path = save_image(tmp_path / "facade.png", synthetic.labels_pair("test", 0, size)[1])
    in_browser, card, problems = _run_page(browser, web, image_path, size, tmp_path / "page.png")
    assert problems == [], "\n".join(problems)
    python = run(interpreter(web / "model_int8.tflite"), read_image(image_path).astype(np.float32) / 127.5 - 1.0)
    print(f"shipped int8: browser vs Python LiteRT {psnr(python, in_browser):.1f} dB")
    assert psnr(python, in_browser) >= DEFAULT_MIN_PSNR["int8"]
    assert in_browser.std() > 10  # a picture, not a blank canvas


def test_a_file_that_is_not_an_image_gives_the_page_message(tmp_path, exported, browser):
    folder, report, _ = exported
    web = write_page(folder, report)
    (tmp_path / "notes.png").write_text("this is not a picture")
    httpd, url = _serve(web)
    try:
        page, problems = _open(browser, url)
        page.set_input_files("#image", str(tmp_path / "notes.png"))
        page.wait_for_function("window.tfstyle.error", timeout=30_000)
        message = page.inner_text("#status")
    finally:
        httpd.shutdown()
    assert message.startswith('Could not read "notes.png" as an image') and "Pick a PNG or JPEG" in message
    assert [p for p in problems if "notes.png" not in p] == []  # no uncaught exception, only the page's message


def test_page_says_when_the_model_cannot_load(tmp_path, exported, browser):
    folder, report, _ = exported
    web = write_page(folder, report)
    (web / "model_int8.tflite").write_bytes(b"not a model")
    httpd, url = _serve(web)
    try:
        page, _ = _open(browser, url)
        message = page.inner_text("#status")
    finally:
        httpd.shutdown()
    assert message.startswith("Could not load the model")


def test_page_files_are_complete_and_pinned(exported):
    folder, report, _ = exported
    web = write_page(folder, report)
    names = {p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file()}
    assert {"index.html", "app.js", "model.json", "model_int8.tflite", "litertjs/core/index.js",
            "litertjs/wasm-utils/index.js", "litertjs/wasm/litert_wasm_internal.wasm"} <= names  # fmt: skip
    assert "cdn" not in (web / "index.html").read_text() + (web / "app.js").read_text()
    assert f'"litertjs": "{LITERTJS_VERSION}"' in (web / "model.json").read_text()
