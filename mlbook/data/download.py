"""Downloads with a registry of checksums, a cache folder and a clear offline error.

* ``DATA_HUB`` maps a file name to ``(url, checksum)``; checksums are ``"sha1:<hex>"`` or
  ``"md5:<hex>"``.
* Files are cached in ``MLBOOK_DATA_DIR`` (default ``~/.mlbook/data``).  A cached file is checked
  on every use; a download is checked before it is kept.
* A download goes to a temporary file in the cache folder and is renamed only once complete and
  verified: nothing half-written is ever left under the real name.
* Offline (or any network failure, or the ``timeout``), the error names the file, the URL and the
  path where to put a copy by hand.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile
import urllib.error
import urllib.request

__all__ = ["DATA_HUB", "register", "data_dir", "download", "file_checksum", "DataError",
           "ChecksumError", "DownloadError"]

#: The registry of downloadable files: a file name -> ``(url, checksum)`` (see :func:`register`).
#:
#: >>> url, checksum = data.DATA_HUB["timemachine.txt"]
#: >>> url
#: 'https://raw.githubusercontent.com/probml/probml-data/main/data/timemachine.txt'
#: >>> checksum
#: 'sha1:7a156c18e04ff27879dc2102115c8adb78bc845c'
DATA_HUB: dict[str, tuple[str, str]] = {}


class DataError(RuntimeError):
    """A data file is missing, corrupt or cannot be fetched.

    >>> issubclass(data.DownloadError, data.DataError), issubclass(data.DataError, RuntimeError)
    (True, True)
    >>> import pathlib
    >>> _ = pathlib.Path("notes.txt").write_text("hello")
    >>> data.read_idx("notes.txt")
    Traceback (most recent call last):
    mlbook.data.download.DataError: notes.txt is not an IDX file (bad magic number 68656c6c)
    """


class ChecksumError(DataError):
    """A file's checksum is not the registered one.

    >>> import pathlib
    >>> _ = pathlib.Path("numbers.csv").write_text("1,2,3")
    >>> data.register("numbers.csv", "file:numbers.csv", "sha1:" + "0" * 40)   # a wrong checksum
    >>> data.download("numbers.csv", cache_dir="cache")
    Traceback (most recent call last):
    mlbook.data.download.ChecksumError: downloaded numbers.csv from file:numbers.csv but it has sha1 b85e2d4914e22b5ad3b82b312b3dc405dc17dcb8, expected sha1:0000000000000000000000000000000000000000; the file was not kept
    """


class DownloadError(DataError):
    """A file could not be downloaded (offline, timeout, HTTP error).

    >>> data.register("missing.csv", "file:missing.csv", "sha1:" + "0" * 40)
    >>> data.download("missing.csv", cache_dir="cache")
    Traceback (most recent call last):
    mlbook.data.download.DownloadError: cannot download missing.csv from file:missing.csv: [Errno 2] No such file or directory: 'missing.csv'. If this machine is offline, put a copy of the file at cache/missing.csv (or set MLBOOK_DATA_DIR to a folder that has it) and run again.
    """


def register(name: str, url: str, checksum: str) -> None:
    """Add ``name`` to the registry: downloaded from ``url``, verified with ``checksum``
    (``"sha1:<hex>"`` or ``"md5:<hex>"``).

    >>> data.register("tiny.csv", "https://example.com/tiny.csv",
    ...               "md5:d41d8cd98f00b204e9800998ecf8427e")
    >>> data.DATA_HUB["tiny.csv"]
    ('https://example.com/tiny.csv', 'md5:d41d8cd98f00b204e9800998ecf8427e')
    >>> data.register("tiny.csv", "https://example.com/tiny.csv", "crc32:1c291ca3")
    Traceback (most recent call last):
    ValueError: checksum must look like 'sha1:<hex>' or 'md5:<hex>', got 'crc32:1c291ca3'
    """
    algo, _, digest = checksum.partition(":")
    if algo not in ("sha1", "md5", "sha256") or not digest:
        raise ValueError(f"checksum must look like 'sha1:<hex>' or 'md5:<hex>', got {checksum!r}")
    DATA_HUB[name] = (url, checksum)


def data_dir() -> pathlib.Path:
    """The cache folder: ``$MLBOOK_DATA_DIR``, else ``~/.mlbook/data``.

    >>> import pathlib
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {"MLBOOK_DATA_DIR": "/data/mlbook"}):
    ...     print(data.data_dir())
    /data/mlbook
    >>> with mock.patch.dict("os.environ", {"MLBOOK_DATA_DIR": ""}):     # unset or empty
    ...     print(data.data_dir() == pathlib.Path.home() / ".mlbook" / "data")
    True
    """
    return pathlib.Path(os.environ.get("MLBOOK_DATA_DIR") or
                        pathlib.Path.home() / ".mlbook" / "data")


def file_checksum(path: str | os.PathLike, algo: str = "sha1") -> str:
    """The hex digest of a file, read in 1 MiB blocks.

    >>> import pathlib
    >>> _ = pathlib.Path("hello.txt").write_text("hello")
    >>> data.file_checksum("hello.txt")
    'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'
    >>> data.file_checksum("hello.txt", "md5")
    '5d41402abc4b2a76b9719d911017c592'
    """
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _matches(path: pathlib.Path, checksum: str) -> tuple[bool, str]:
    algo, _, expected = checksum.partition(":")
    actual = file_checksum(path, algo)
    return actual == expected.lower(), f"{algo} {actual}"


def download(name: str, cache_dir: str | os.PathLike | None = None,
             timeout: float = 60.0) -> pathlib.Path:
    """The local path of registered file ``name``, downloading it if it is not cached.

    >>> import pathlib
    >>> _ = pathlib.Path("hello.txt").write_text("hello")
    >>> url = pathlib.Path("hello.txt").resolve().as_uri()        # a local mirror: file:///...
    >>> data.register("hello.txt", url, "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
    >>> path = data.download("hello.txt", cache_dir="cache")
    >>> path.as_posix(), path.read_text()
    ('cache/hello.txt', 'hello')
    >>> pathlib.Path("hello.txt").unlink()          # the cached copy is used from now on
    >>> data.download("hello.txt", cache_dir="cache").as_posix()
    'cache/hello.txt'
    """
    if name not in DATA_HUB:
        raise KeyError(f"{name!r} is not a registered data file; known: {sorted(DATA_HUB)}")
    url, checksum = DATA_HUB[name]
    folder = pathlib.Path(cache_dir) if cache_dir is not None else data_dir()
    path = folder / name
    if path.exists():
        ok, actual = _matches(path, checksum)
        if ok:
            return path
        stale = f"the cached {path} has {actual}, expected {checksum}"
    else:
        stale = None
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
            except (urllib.error.URLError, OSError, ValueError) as err:
                reason = getattr(err, "reason", err)
                hint = f" ({stale})" if stale else ""
                raise DownloadError(
                    f"cannot download {name} from {url}: {reason}{hint}. If this machine is "
                    f"offline, put a copy of the file at {path} (or set MLBOOK_DATA_DIR to a "
                    "folder that has it) and run again.") from err
        ok, actual = _matches(pathlib.Path(tmp), checksum)
        if not ok:
            raise ChecksumError(f"downloaded {name} from {url} but it has {actual}, expected "
                                f"{checksum}; the file was not kept")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
