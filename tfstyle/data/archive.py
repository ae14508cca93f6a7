"""Safe archive extraction and checksummed local fetching for downloaded datasets."""

import hashlib
import os
import shutil
import tarfile
import urllib.parse
import urllib.request

from tfstyle.data.io import atomic_path
from tfstyle.errors import DatasetError


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path, sha256):
    """Raises DatasetError when `sha256` is given and the file does not match it."""
    if sha256 is None:
        return
    actual = sha256_of(path)
    if actual != sha256.lower():
        raise DatasetError(
            f"{path}: checksum mismatch (sha256 {actual}, expected {sha256}). "
            "Delete the file and download it again, or pass the right checksum."
        )


def fetch(url, destination):
    """Copies a `file://` or http(s) URL to `destination` atomically (used where TFDS's downloader cannot)."""
    try:
        with urllib.request.urlopen(url) as response, atomic_path(destination) as tmp:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(response, out)
    except OSError as err:
        raise DatasetError(f"{url}: download failed ({err}). Check the URL or your network.") from None
    return destination


def local_path_of(url):
    """The filesystem path of a file:// URL, else None."""
    parsed = urllib.parse.urlparse(url)
    return urllib.request.url2pathname(parsed.path) if parsed.scheme == "file" else None


def safe_extract(archive, target):
    """Extracts a tar archive into `target`, refusing members that would land outside it.

    Raises:
        DatasetError: for absolute paths, `..` components, links pointing outside, or device files,
            naming the archive and the member. Nothing is extracted in that case.
    """
    target = os.path.realpath(target)
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(archive, target, member)
            os.makedirs(target, exist_ok=True)
            if hasattr(tarfile, "data_filter"):
                tar.extractall(target, members=members, filter="data")
            else:  # Python < 3.11.4: our own check above already ran
                tar.extractall(target, members=members)
    except tarfile.TarError as err:
        raise DatasetError(f"{archive}: not a readable tar archive ({err}).") from None
    return target


def _check_member(archive, target, member):
    destination = os.path.realpath(os.path.join(target, member.name))
    if os.path.isabs(member.name) or not (destination == target or destination.startswith(target + os.sep)):
        raise DatasetError(f"{archive}: refusing member {member.name!r}, which would be written outside {target}.")
    if member.issym() or member.islnk():
        link = os.path.realpath(os.path.join(os.path.dirname(destination), member.linkname))
        if not link.startswith(target + os.sep):
            raise DatasetError(f"{archive}: refusing link {member.name!r} -> {member.linkname!r} outside {target}.")
    if member.isdev():
        raise DatasetError(f"{archive}: refusing device file {member.name!r}.")
