"""Files a user keeps: written whole or not at all, never over an input, never over by surprise.

:func:`check_output` refuses an output before any work is done;
:func:`atomic_write` writes a file or a folder under a temporary name beside
its destination and renames it into place only once it is complete;
:func:`read_folder` reads several files of one folder as one version, while
another process may be swapping the folder. This module imports nothing of
the package, so that every layer can use it.
"""

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_write", "check_output", "read_folder"]

# Attempts of read_folder when the folder is swapped while it reads.
_READ_ATTEMPTS = 20


def check_output(path, *, inputs=(), overwrite=False, markers=None):
    """Refuse an output path before any work is done.

    Parameters
    ----------
    path : str or path-like
        The file or folder to write.
    inputs : iterable of str or path-like, default=()
        Files or folders the work reads. An output that is one of them,
        contains one or lies inside one is refused: writing it would destroy
        or change the input. URIs (``s3://...``) and ``None`` are skipped.
    overwrite : bool, default=False
        Whether an existing ``path`` may be replaced. An empty folder is
        never in the way.
    markers : tuple of str or None, default=None
        For a folder output: names of which an existing folder must hold at
        least one to be replaced, even with ``overwrite=True`` (e.g.
        ``("model.json",)`` for a saved model), so that a folder of
        something else is never replaced whole.

    Returns
    -------
    path : Path

    Raises
    ------
    ValueError
        If ``path`` is, contains or lies inside an input, or is a folder
        that ``markers`` says is not of the kind written here.
    FileExistsError
        If ``path`` exists (and is not an empty folder) and ``overwrite``
        is False.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skltransient.utils import check_output
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "night.parquet").write_bytes(b"...")
    3
    >>> check_output(folder / "night.parquet", inputs=[folder / "night.parquet"], overwrite=True)
    Traceback (most recent call last):
    ...
    ValueError: The output ... is the input ...; write the output elsewhere.
    """
    path = Path(path)
    for source in inputs:
        if source is None or "://" in str(source):
            continue
        _check_apart(path, Path(source))
    if not (path.exists() or path.is_symlink()) or _empty_folder(path):
        return path
    if not overwrite:
        raise FileExistsError(f"The output {str(path)!r} exists; choose another name, remove it, "
                              f"or pass overwrite=True (--overwrite on the command line) to "
                              f"replace it.")
    if markers is not None and not (path.is_dir() and any((path / m).exists() for m in markers)):
        raise ValueError(f"The output {str(path)!r} exists and is not what this command writes "
                         f"(it has none of {list(markers)}), so it is not replaced, even with "
                         f"overwrite; choose another name or remove it.")
    return path


def _check_apart(out, source):
    """Refuse ``out`` if it is ``source``, contains it or lies inside it."""
    out_real, source_real = out.resolve(), source.resolve()
    if out_real == source_real or (out.exists() and source.exists() and os.path.samefile(out, source)):
        raise ValueError(f"The output {str(out)!r} is the input {str(source)!r}; write the output "
                         f"elsewhere.")
    if out_real in source_real.parents:
        raise ValueError(f"The output {str(out)!r} contains the input {str(source)!r}, which "
                         f"writing it would replace; write the output elsewhere.")
    if source_real in out_real.parents:
        raise ValueError(f"The output {str(out)!r} lies inside the input {str(source)!r}, which "
                         f"writing it would change; write the output elsewhere.")


def _empty_folder(path):
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


@contextmanager
def atomic_write(path, *, overwrite=False, folder=False):
    """Write a file or a folder under a temporary name, then rename it into place.

    The context yields a temporary path in the destination's folder, unique
    to this process and call (a hidden name: ``.<name>.<pid>-<random>.tmp``).
    Write the file there (or, with ``folder=True``, the files of the folder,
    which exists already). When the block ends without an exception, the
    temporary path is renamed to ``path``; when it raises anything,
    ``KeyboardInterrupt`` included, the temporary path is removed and
    ``path`` is left as it was. Readers of ``path`` therefore see its
    previous content or the new one, complete, never a part.

    A folder replaces an existing one whole: on Linux both are exchanged in
    one atomic rename (``renameat2`` with ``RENAME_EXCHANGE``), so the path
    always holds a complete folder; elsewhere the old folder is renamed
    aside first, and for an instant the path does not exist. The old
    folder is then removed, and no file of it is left beside the new ones.

    Parameters
    ----------
    path : str or path-like
        The destination, in an existing folder.
    overwrite : bool, default=False
        Whether an existing ``path`` may be replaced; otherwise it raises
        ``FileExistsError`` (check it before any work with
        :func:`check_output`; it is checked again here).
    folder : bool, default=False
        Write a folder rather than a file.

    Yields
    ------
    temporary : Path

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skltransient.utils import atomic_write
    >>> out = Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_write(out) as temporary:
    ...     _ = temporary.write_text("a,b\\n1,2\\n")
    >>> out.read_text()
    'a,b\\n1,2\\n'
    """
    path = Path(path)
    check_output(path, overwrite=overwrite)
    temporary = _temporary_name(path, "tmp")
    if folder:
        temporary.mkdir()
    try:
        yield temporary
        if folder:
            _publish_folder(temporary, path, overwrite)
        else:
            check_output(path, overwrite=overwrite)  # again: it may have appeared meanwhile
            os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def _temporary_name(path, kind):
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _publish_folder(temporary, path, overwrite):
    """Rename the complete folder ``temporary`` to ``path``, replacing the old one whole."""
    if path.exists() and not path.is_dir():
        check_output(path, overwrite=overwrite)
        _replace_aside(temporary, path)
        return
    try:
        os.rename(temporary, path)  # atomic where ``path`` is absent or an empty folder
        return
    except OSError as error:
        if error.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EACCES, errno.EPERM):
            raise
    check_output(path, overwrite=overwrite)
    if _exchange(temporary, path):
        _remove(temporary)  # it now holds the old folder
    else:
        _replace_aside(temporary, path)


def _replace_aside(temporary, path):
    """Move the old ``path`` aside, ``temporary`` into place, and remove the old one.

    Another process may publish its own folder in between: it is moved aside in turn.
    """
    asides = []
    try:
        for _ in range(_READ_ATTEMPTS):
            aside = _temporary_name(path, "old")
            with contextlib.suppress(FileNotFoundError):  # another process moved it first
                os.rename(path, aside)
                asides.append(aside)
            try:
                os.rename(temporary, path)
                return
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        raise FileExistsError(errno.EEXIST, "Other processes keep writing this folder", str(path))
    except BaseException:
        if asides and not path.exists():
            os.rename(asides.pop(), path)  # the last complete folder back in place
        raise
    finally:
        for aside in asides:
            _remove(aside)


def _exchange(first, second):
    """Swap two paths in one atomic rename (Linux ``renameat2``); False where it is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # a C library without it (glibc < 2.28, musl)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system without it
        return False
    raise OSError(code, os.strerror(code), str(second))


def read_folder(path, names, *, optional=()):
    """The bytes of files of one folder, all from one version of it.

    A folder written by :func:`atomic_write` is never changed in place, only
    replaced whole; its files are read here through one open handle of the
    folder, so that they all come from the same version even while another
    process replaces it. A file found missing because the folder was
    replaced meanwhile is read again from the new version.

    Parameters
    ----------
    path : str or path-like
        The folder.
    names : iterable of str
        Files that must be there.
    optional : iterable of str, default=()
        Files read when present (None otherwise).

    Returns
    -------
    contents : dict
        The bytes of each file, by name.

    Raises
    ------
    FileNotFoundError
        If the folder or one of ``names`` does not exist.
    """
    path = Path(path)
    names, optional = list(names), list(optional)
    if not _DIR_FD or not path.is_dir():
        return _read_by_path(path, names, optional)
    for _ in range(_READ_ATTEMPTS):
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            continue  # the folder is being moved aside: look again
        try:
            return _read_from(handle, names, optional)
        except FileNotFoundError:
            if os.path.exists(path) and os.stat(path).st_ino == os.fstat(handle).st_ino:
                raise  # the folder was not replaced: the file is missing
        finally:
            os.close(handle)
    return _read_by_path(path, names, optional)


_DIR_FD = os.open in os.supports_dir_fd


def _read_from(handle, names, optional):
    contents = {}
    for name in names + optional:
        try:
            descriptor = os.open(name, os.O_RDONLY, dir_fd=handle)
        except FileNotFoundError:
            if name in optional:
                contents[name] = None
                continue
            raise FileNotFoundError(errno.ENOENT, "No such file", name) from None
        with os.fdopen(descriptor, "rb") as file:
            contents[name] = file.read()
    return contents


def _read_by_path(path, names, optional):
    contents = {name: (path / name).read_bytes() for name in names}
    contents.update({name: (path / name).read_bytes() if (path / name).is_file() else None
                     for name in optional})
    return contents
