"""Hooks of the example gallery: the reading order, and one PyTorch thread per example."""

ORDER = (
    "plot_first_pipeline.py",
    "plot_lightcurves_and_predictions.py",
    "plot_reading_data.py",
    "plot_grid_search.py",
    "plot_features_baseline.py",
    "plot_early_classification.py",
    "plot_transfer_ztf_to_lsst.py",
    "plot_sims_to_bts.py",
    "plot_domain_adaptation.py",
)


class ExampleOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``.

    Examples listed in :data:`ORDER` come first, in that order; any other
    example follows, sorted by file name.

    Parameters
    ----------
    src_dir : str
        The gallery's source folder (unused; sphinx-gallery passes it).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in ORDER:
            return (0, ORDER.index(filename), filename)
        return (1, 0, filename)

    def __repr__(self):
        return f"{type(self).__name__}()"


def one_torch_thread(gallery_conf, fname, when=None):
    """Run each example with one PyTorch thread (a sphinx-gallery ``reset_modules`` hook).

    The examples train networks of a few thousand parameters, for which one
    thread is about as fast as several on an idle machine, and many times
    faster on a busy one (threads that wait for each other on shared cores).
    One thread also makes the floating-point results, and so the numbers and
    figures of the gallery, the same on machines with different numbers of
    cores.
    """
    import torch

    torch.set_num_threads(1)
