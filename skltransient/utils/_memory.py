"""Memory a request would take, checked before it is allocated."""

import os

__all__ = ["check_memory", "format_bytes"]


def format_bytes(n_bytes):
    """A number of bytes in the largest decimal unit that keeps it at 1 or more: '16 PB'."""
    units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
    power = 0
    while power < len(units) - 1 and n_bytes >= 1000 ** (power + 1):
        power += 1
    return f"{n_bytes / 1000**power:.3g} {units[power]}"


def physical_memory():
    """Bytes of physical memory of this machine, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return None


def check_memory(n_bytes, what, advice):
    """Refuse a request for more memory than this machine has, before allocating it.

    Parameters
    ----------
    n_bytes : int
        The estimated size of the request.
    what : str
        What needs it, for the message (e.g. ``"A GRUClassifier with
        hidden_size=30000"``).
    advice : str
        What to do instead, a sentence without its final period.

    Raises
    ------
    ValueError
        If ``n_bytes`` exceeds the machine's physical memory; the message
        gives the estimate.
    """
    available = physical_memory()
    if available is not None and n_bytes > available:
        raise ValueError(f"{what} would need about {format_bytes(n_bytes)} of memory, more than "
                         f"this machine's {format_bytes(available)}; {advice}.")
