"""The README runs: every shell command and Python block in it is executed (in a scratch folder), except those
marked `# needs: ...` (the network, a GPU, minutes), and its CLI reference is `--help` as the code prints it."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
COMMANDS = ["demo", "datasets", "stylize", "translate", "evaluate", "export", "serve-web"]
KINDS = ["pix2pix", "cyclegan", "faststyle", "adain"]


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def shell_commands():
    commands = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "# needs:" not in line:
                commands.append(line)
    return commands


def cli_reference():
    """`tfstyle --help`, then the usage of every command and of every `train KIND`, at 100 columns."""
    env = {**os.environ, "COLUMNS": "100"}

    def usage(*args):
        text = subprocess.run([sys.executable, "-m", "tfstyle", *args, "--help"], capture_output=True, text=True,
                              env=env, timeout=300).stdout  # fmt: skip
        return text if not args else text.split("\n\n")[0]

    parts = [usage()] + [usage(c) for c in COMMANDS] + [usage("train", k) for k in KINDS]
    return "\n".join(part.rstrip() + "\n" for part in parts)


def test_cli_reference_is_in_sync_with_help():
    match = re.search(r"<!-- cli-reference -->\n```text\n(.*?)```", README.read_text(), re.S)
    expected = cli_reference()
    assert match and match.group(1) == expected, "README's CLI reference is stale; replace it with:\n" + expected


@pytest.mark.slow
def test_readme_commands_and_python_run(tmp_path):
    assert len(shell_commands()) >= 6
    for command in shell_commands():
        result = subprocess.run(["bash", "-c", command.split("  #")[0]], cwd=tmp_path, capture_output=True,
                                text=True, timeout=900)  # fmt: skip
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    python = [block for block in blocks("python") if "# needs:" not in block.splitlines()[0]]
    assert len(python) >= 3
    for block in python:
        result = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{block}\n{result.stderr[-3000:]}"
