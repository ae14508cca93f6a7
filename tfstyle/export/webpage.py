"""The exported model in a web browser: a static page that runs the `.tflite` with LiteRT.js (WebAssembly).

`tfstyle export ... --web` writes `OUT/web/`: `index.html` and `app.js` (tfstyle's, in `tfstyle/export/web/`), the
LiteRT.js runtime copied from its npm package (`@litertjs/core` at `LITERTJS_VERSION`, installed by
`cd export/web && npm ci` in a checkout, or `npm install @litertjs/core@2.5.3` anywhere), the model, and
`model.json` (what the page needs to know about it). Any static file server works; `tfstyle serve-web DIR`
serves it on 127.0.0.1 with the headers that let browsers use WebAssembly threads. No CDN at run time.
"""

import functools
import http.server
import json
import os
import pathlib
import shutil
import tempfile

from tfstyle.errors import ExportError
from tfstyle.export.convert import replace_dir

LITERTJS_VERSION = "2.5.3"
TEMPLATE = pathlib.Path(__file__).with_name("web")
_CHECKOUT_MODULES = pathlib.Path(__file__).resolve().parents[2] / "export" / "web" / "node_modules" / "@litertjs"


def find_litertjs(path=None):
    """The `node_modules/@litertjs` folder to copy the runtime from: `path`, $TFSTYLE_LITERTJS, this checkout's
    `export/web/node_modules/@litertjs`, or `./node_modules/@litertjs`."""
    candidates = [path, os.environ.get("TFSTYLE_LITERTJS"), _CHECKOUT_MODULES, "node_modules/@litertjs"]
    for candidate in (pathlib.Path(c) for c in candidates if c):
        if (candidate / "core" / "dist" / "index.js").is_file() and (candidate / "wasm-utils" / "dist").is_dir():
            version = json.loads((candidate / "core" / "package.json").read_text())["version"]
            if version != LITERTJS_VERSION:
                raise ExportError(f"{candidate}: @litertjs/core {version}; the page is tested with {LITERTJS_VERSION}. "
                                  f"Run: npm install @litertjs/core@{LITERTJS_VERSION}")  # fmt: skip
            return candidate
    raise ExportError(
        "The web page needs the LiteRT.js runtime from npm, which was not found. In a checkout: cd export/web && "
        f"npm ci. Elsewhere: npm install @litertjs/core@{LITERTJS_VERSION} and pass --litertjs node_modules/@litertjs."
    )


def write_page(export_dir, report, litertjs=None, artifact=None):
    """Writes `export_dir/web/` for one `.tflite` artifact of `report` (default: int8 if present, else fp32 or the
    first); returns the folder. Written aside, then moved into place."""
    runtime = find_litertjs(litertjs)
    tflite = [a for a in report["artifacts"] if a["file"].endswith(".tflite")]
    if not tflite:
        raise ExportError("--web needs a TFLite artifact: export with --formats tflite.")
    by_mode = {a["mode"]: a for a in tflite}
    chosen = next((a for a in tflite if a["file"] == artifact), None) or by_mode.get("int8") or by_mode.get("fp32") or tflite[0]
    network = report["networks"][chosen.get("network", next(iter(report["networks"])))]
    if any(i["kind"] != "image" for i in network["inputs"]) or network["output"]["kind"] != "image":
        raise ExportError(f"{chosen['file']}: the web page runs image-to-image networks (images in, an image out).")
    io = chosen["io"]
    card = {"file": chosen["file"], "mode": chosen["mode"], "bytes": chosen["bytes"], "size": report["size"],
            "pixels": io["inputs"][0]["dtype"] == "uint8", "inputs": io["inputs"], "outputs": io["outputs"],
            "litertjs": LITERTJS_VERSION, "psnr_db": _finite(chosen["fidelity"]["psnr_db"])}  # fmt: skip
    export_dir = pathlib.Path(export_dir)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".tmp-web-", dir=export_dir))
    try:
        for name in ("index.html", "app.js"):
            shutil.copy(TEMPLATE / name, staging / name)
        (staging / "litertjs" / "core").mkdir(parents=True)
        (staging / "litertjs" / "wasm-utils").mkdir()
        shutil.copy(runtime / "core" / "dist" / "index.js", staging / "litertjs" / "core" / "index.js")
        shutil.copy(runtime / "wasm-utils" / "dist" / "index.js", staging / "litertjs" / "wasm-utils" / "index.js")
        shutil.copytree(runtime / "core" / "wasm", staging / "litertjs" / "wasm")
        shutil.copy(export_dir / chosen["file"], staging / chosen["file"])
        (staging / "model.json").write_text(json.dumps(card, indent=2))
        replace_dir(os.fspath(staging), os.fspath(export_dir / "web"))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return export_dir / "web"


def _finite(value):
    """JSON for a browser: an exact match (PSNR = inf) is "exact", not the non-standard Infinity."""
    return value if value != float("inf") else "exact"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the cross-origin isolation headers (WebAssembly threads) and the .wasm MIME type."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript"}  # fmt: skip

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002  (quiet: the page reports its own errors)
        pass


def server(folder, port=0, host="127.0.0.1"):
    """An HTTP server for the page in `folder` (not started: call `serve_forever`); `server.server_address`."""
    if not (pathlib.Path(folder) / "index.html").is_file():
        raise ExportError(f"{folder}: no index.html; pass the web/ folder that `tfstyle export --web` wrote.")
    handler = functools.partial(_Handler, directory=os.fspath(folder))
    return http.server.ThreadingHTTPServer((host, port), handler)
