"""The demo's pages: `index.html` (opens from disk, images beside it) and `README.md`, and its loss plots."""

import html
import os

from tfstyle.data.io import atomic_path

REAL_DATA = [
    ("Pix2Pix on facades (TFDS download)", "tfstyle train pix2pix --dataset pix2pix/facades --direction BtoA --out runs/facades"),
    ("CycleGAN on horse2zebra (TFDS download)", "tfstyle train cyclegan --dataset cycle_gan/horse2zebra --out runs/h2z"),
    ("your own paired folders (train/A, train/B)", "tfstyle train pix2pix --dataset my_pairs/ --out runs/mine"),
    ("your own unpaired folders (trainA/, trainB/)", "tfstyle train cyclegan --dataset my_domains/ --out runs/mine"),
    ("your photos and painting, by optimisation", "tfstyle stylize photo.jpg painting.jpg -o out.png"),
    ("a fast-style model of your painting", "tfstyle train faststyle --style painting.jpg --dataset photos/ --out runs/painting"),
    ("any painting in one pass (AdaIN)", "tfstyle train adain --dataset photos/ --styles paintings/ --out runs/adain"),
    ("a demo on your folders", "tfstyle demo --data my_folders/ --photo photo.jpg --style painting.jpg"),
]  # fmt: skip


def loss_plot(history, path, title):
    """A PNG of the per-epoch training losses in `history` (Run.history()); returns its path."""
    import matplotlib

    import matplotlib.ticker

    matplotlib.use("Agg")
    from matplotlib import pyplot

    epochs = [row["epoch"] + 1 for row in history]
    keys = [k for k in (history[0] if history else {}) if k != "epoch" and not k.startswith("val_")]
    figure, axis = pyplot.subplots(figsize=(5, 3), dpi=100)
    for key in keys:
        axis.plot(epochs, [row[key] for row in history], marker="o", label=key)
    axis.set(xlabel="epoch", ylabel="loss", title=f"{title}: training losses", yscale="log")
    axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axis.legend(fontsize=7)
    figure.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp)
    pyplot.close(figure)
    return path


def write_report(out, report):
    """Writes `index.html` and `README.md` into `out`; image paths are made relative to `out`."""
    for section in report["sections"]:
        section["images"] = [os.path.relpath(p, out) for p in section.get("images", [])]
    with atomic_path(os.path.join(out, "index.html")) as tmp, open(tmp, "w") as handle:
        handle.write(_html(report))
    with atomic_path(os.path.join(out, "README.md")) as tmp, open(tmp, "w") as handle:
        handle.write(_markdown(report))


def _html(report):
    esc = html.escape
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{esc(report['title'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "img{max-width:100%;image-rendering:pixelated;border:1px solid #ccc;margin:.3rem 0}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
        "pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}.note{background:#fff4d6;padding:.5rem}</style>",
        "</head><body>", f"<h1>{esc(report['title'])}</h1>",
    ]  # fmt: skip
    parts += [f'<p class="note">{esc(note)}</p>' for note in report["notes"]]
    for section in report["sections"]:
        parts.append(f"<h2>{esc(section['title'])} <small>({section['seconds']} s)</small></h2>")
        parts.append(f"<p>{esc(section['text'])}</p>")
        parts += [f'<img src="{esc(image)}" alt="{esc(section["title"])}">' for image in section["images"]]
        if section.get("table"):
            rows = "".join(f"<tr><td>{esc(str(k))}</td><td>{esc(str(v))}</td></tr>" for k, v in section["table"].items())
            parts.append(f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>")
        if section.get("command"):
            parts.append(f"<pre>{esc(section['command'])}</pre>")
    parts.append("<h2>The same on real data</h2><table><tr><th>what</th><th>command</th></tr>")
    parts += [f"<tr><td>{esc(what)}</td><td><code>{esc(cmd)}</code></td></tr>" for what, cmd in REAL_DATA]
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def _markdown(report):
    lines = [f"# {report['title']}", ""]
    lines += [f"> {note}\n" for note in report["notes"]]
    for section in report["sections"]:
        lines += [f"## {section['title']} ({section['seconds']} s)", "", section["text"], ""]
        lines += [f"![{section['title']}]({image})" for image in section["images"]]
        if section.get("table"):
            lines += ["", "| metric | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in section["table"].items()]
        if section.get("command"):
            lines += ["", "```bash", section["command"], "```"]
        lines.append("")
    lines += ["## The same on real data", "", "| what | command |", "|---|---|"]
    lines += [f"| {what} | `{cmd}` |" for what, cmd in REAL_DATA]
    return "\n".join(lines) + "\n"
