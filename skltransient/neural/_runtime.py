"""Where and how torch runs a fit or a prediction: threads, precision, device."""

import contextlib
import numbers
import os

import torch

__all__ = ["bf16_supported", "resolve_threads", "runtime"]

PRECISIONS = ("float32", "bf16")


def resolve_threads(n_threads):
    """Number of torch threads meant by ``n_threads``: itself, or all usable cores for -1.

    The cores are those the process may run on (``os.sched_getaffinity``),
    not all cores of the machine: a container or a batch job limited to a
    few cores gets that few.
    """
    if n_threads == -1:
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    if not isinstance(n_threads, numbers.Integral) or isinstance(n_threads, bool) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive int or -1 (all available cores); "
                         f"got {n_threads!r}.")
    return int(n_threads)


def bf16_supported(device):
    """Whether ``device`` computes in bfloat16 natively (AVX512-BF16 or AMX on a CPU)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    native = (getattr(torch.cpu, name, lambda: False)() for name in
              ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(native)


@contextlib.contextmanager
def runtime(n_threads, precision, device):
    """Run the block with ``n_threads`` torch threads and autocast for ``precision``.

    The caller's thread count is restored when the block ends, also on an
    exception, so that a fit or a prediction leaves the process as it found
    it.

    Parameters
    ----------
    n_threads : int
        Torch intra-op threads (:func:`torch.set_num_threads`); -1 for all
        cores available to the process.
    precision : {"float32", "bf16"}
        ``"bf16"`` runs the block under :func:`torch.autocast` with bfloat16
        (matrix products and the GRU in bfloat16; losses and reductions stay
        in float32, as autocast decides).
    device : str or torch.device
        Device of the block's computations (the type of the autocast).

    Raises
    ------
    ValueError
        If ``precision`` is unknown, or is ``"bf16"`` on a device without
        native bfloat16 (a CPU without AVX512-BF16 or AMX, where emulated
        bfloat16 is slower than float32).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {list(PRECISIONS)}; got {precision!r}.")
    if precision == "bf16" and not bf16_supported(device):
        raise ValueError(
            f"precision='bf16' needs native bfloat16 on device {str(device)!r} (a CPU with "
            f"AVX512-BF16 or AMX, or a CUDA GPU with bfloat16); this one has none, and emulated "
            f"bfloat16 would be slower than float32. Use precision='float32'.")
    count = resolve_threads(n_threads)
    caller = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        if precision == "bf16":
            with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        torch.set_num_threads(caller)
