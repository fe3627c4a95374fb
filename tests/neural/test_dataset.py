from types import SimpleNamespace

import numpy as np
import pytest
import torch

from skltransient.neural._dataset import BatchIterator, PaddedDataset, bucketed_batches

N_OBJECTS, BATCH = 1002, 4  # five buckets of 50 batches and a short last batch


def _dataset(seed=0):
    """Light curves of 1 to 100 steps whose label is their own index."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 101, N_OBJECTS)
    padded = SimpleNamespace(values=np.zeros((N_OBJECTS, 100, 2), np.float32), lengths=lengths,
                             metadata=np.zeros((N_OBJECTS, 0), np.float32))
    return PaddedDataset(padded, np.arange(N_OBJECTS))


def _epochs(batching, n_epochs=2, seed=0, **kwargs):
    """Index tensors of the batches of ``n_epochs`` epochs, one list per epoch."""
    iterator = BatchIterator(_dataset(), batch_size=BATCH, shuffle=True, batching=batching,
                             **kwargs)
    torch.manual_seed(seed)
    return [[y for _, y in iterator] for _ in range(n_epochs)]


def _spread(batches):
    lengths = _dataset().lengths
    return np.mean([int(lengths[b].max() - lengths[b].min()) for b in batches])


@pytest.mark.parametrize("batching", ["bucketed", "random"])
def test_batch_iterator_covers_every_object_once_per_epoch(batching):
    """Check that each epoch's batches hold every index exactly once, in a new order each epoch."""
    first, second = _epochs(batching)
    for epoch in (first, second):
        assert len(epoch) == -(-N_OBJECTS // BATCH)
        assert sorted(len(b) for b in epoch)[1] == BATCH  # only one batch is short
        assert sorted(torch.cat(epoch).tolist()) == list(range(N_OBJECTS))
    assert not torch.equal(torch.cat(first), torch.cat(second))


def test_batch_iterator_bucketed_batches_are_length_homogeneous():
    """Check that bucketed batches span few lengths where random ones span most of them."""
    bucketed, random = _spread(_epochs("bucketed", 1)[0]), _spread(_epochs("random", 1)[0])
    assert bucketed < 3 and random > 40


def test_batch_iterator_bucketed_batches_come_in_random_order():
    """Check that bucketed batches are not served sorted by length, nor bucket by bucket."""
    lengths = _dataset().lengths
    means = np.array([lengths[b].float().mean() for b in _epochs("bucketed", 1)[0]])
    assert abs(np.corrcoef(means, np.arange(len(means)))[0, 1]) < 0.2


def test_batch_iterator_random_and_bucketed_batchess_differ():
    """Check that the two batchings, from the same seed, give different orders."""
    bucketed, random = _epochs("bucketed", 1)[0], _epochs("random", 1)[0]
    assert not torch.equal(torch.cat(bucketed), torch.cat(random))


def test_batch_iterator_random_order_is_a_permutation_of_the_global_generator():
    """Check that batching='random' draws the order as before: the global seed's randperm."""
    torch.manual_seed(3)
    expected = torch.randperm(N_OBJECTS)
    assert torch.equal(torch.cat(_epochs("random", 1, seed=3)[0]), expected)


def test_batch_iterator_is_reproducible_from_the_global_seed():
    """Check that a seed gives the same bucketed batches, another seed others."""
    a, b, c = (torch.cat(_epochs("bucketed", 1, seed=s)[0]) for s in (0, 0, 1))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_batch_iterator_without_shuffle_keeps_the_order():
    """Check that unshuffled (validation) batches keep the order, whatever the batching."""
    iterator = BatchIterator(_dataset(), batch_size=64, batching="bucketed")
    assert torch.equal(torch.cat([y for _, y in iterator]), torch.arange(N_OBJECTS))


def test_batch_iterator_prefixes_with_bucketed_batches():
    """Check that prefix augmentation still shortens lengths, never beyond 1 or the true length."""
    dataset = _dataset()
    iterator = BatchIterator(dataset, batch_size=BATCH, shuffle=True, batching="bucketed",
                             prefix_probability=1.0)
    torch.manual_seed(0)
    for X, index in iterator:
        true = dataset.lengths[index]
        assert torch.all((X["lengths"] >= 1) & (X["lengths"] <= true))
        assert X["values"].shape[1] == int(true.max())
    assert torch.any(X["lengths"] < true)


def test_batch_iterator_refuses_unknown_batching():
    """Check that an unknown batching is an error naming the parameter and the value."""
    iterator = BatchIterator(_dataset(), shuffle=True, batching="sorted")
    with pytest.raises(ValueError, match="batching must be 'bucketed' or 'random'; got 'sorted'"):
        next(iter(iterator))


def test_bucketed_batches_edge_sizes():
    """Check fewer objects than a batch, and one short batch among full ones."""
    generator = torch.Generator().manual_seed(0)
    for n, sizes in ((3, [3]), (130, [2] + [8] * 16)):
        batches = bucketed_batches(torch.arange(n) % 7, 8, generator=generator)
        assert sorted(len(b) for b in batches) == sizes
        assert sorted(torch.cat(batches).tolist()) == list(range(n))


def _observations(lengths, n_channels=3):
    """Padded light curves whose channel c at step t holds 100 * c + t (padding: -1)."""
    lengths = np.asarray(lengths)
    steps = np.arange(lengths.max())
    values = (100.0 * np.arange(n_channels)[None, None, :] + steps[None, :, None]).repeat(
        len(lengths), 0)
    values[steps[None, :] >= lengths[:, None]] = -1
    padded = SimpleNamespace(values=values.astype(np.float32), lengths=lengths,
                             metadata=np.zeros((len(lengths), 0), np.float32),
                             flux_channels=(1,), flux_err_channels=(2,))
    return PaddedDataset(padded, np.arange(len(lengths)))


def test_observation_dropout_keeps_order_and_at_least_one_observation():
    """Check that dropped observations close up in order, lengths shrink, and none is left empty."""
    dataset = _observations([40, 1, 25, 3] * 25)
    iterator = BatchIterator(dataset, batch_size=10, shuffle=True, observation_dropout=0.5)
    torch.manual_seed(0)
    kept = []
    for X, index in iterator:
        true = dataset.lengths[index]
        assert torch.all((X["lengths"] >= 1) & (X["lengths"] <= true))
        for row, n in zip(X["values"], X["lengths"]):
            steps = row[:n, 0]
            # Kept steps are real observations of this light curve, in increasing order, and
            # every channel of a step moved with it.
            assert torch.all(steps >= 0) and torch.all(torch.diff(steps) > 0)
            assert torch.equal(row[:n, 1], steps + 100) and torch.equal(row[:n, 2], steps + 200)
        kept.append((X["lengths"].float() / true.float())[true == 40])
    share = torch.cat(kept).mean().item()
    assert 0.4 < share < 0.6  # half of 40 observations, on average


def test_augmentation_is_reproducible():
    """Check that a seed gives the same augmented batches, and another seed other ones."""
    dataset = _observations([30] * 20)

    def run(seed):
        torch.manual_seed(seed)
        iterator = BatchIterator(dataset, batch_size=5, shuffle=True, observation_dropout=0.3,
                                 flux_noise=1.0)
        return [X["values"].clone() for X, _ in iterator]

    assert all(torch.equal(a, b) for a, b in zip(run(0), run(0)))
    assert not all(torch.equal(a, b) for a, b in zip(run(0), run(1)))


def test_flux_noise_moves_only_fluxes_by_their_uncertainties():
    """Check that noise changes the flux channel alone, scaled by the flux_err channel."""
    dataset = _observations([200] * 50)
    iterator = BatchIterator(dataset, batch_size=50, flux_noise=0.5)
    clean = dataset.values.clone()
    torch.manual_seed(0)
    (X, _), = list(iterator)
    assert torch.equal(X["values"][:, :, [0, 2]], clean[:, :, [0, 2]])
    z = (X["values"][:, :, 1] - clean[:, :, 1]) / (0.5 * clean[:, :, 2])
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1) < 0.02
    assert torch.equal(dataset.values, clean)  # the dataset itself is never changed


def test_flux_noise_without_flux_channels():
    """Check that an input without flux channels gets no noise, and mismatched channels an error."""
    dataset = _dataset()
    dataset.values = torch.randn(dataset.values.shape)
    (X, _), *_ = list(BatchIterator(dataset, batch_size=2000, flux_noise=1.0))
    assert torch.equal(X["values"], dataset.values[:, :X["values"].shape[1]])
    dataset.flux_channels, dataset.flux_err_channels = (0, 1), (1,)
    with pytest.raises(ValueError, match=r"one flux_err channel per flux channel; this input has "
                                         r"flux channels \(0, 1\) and flux_err channels \(1,\)"):
        next(iter(BatchIterator(dataset, batch_size=BATCH, flux_noise=1.0)))


@pytest.fixture(scope="module")
def simulated():
    """Padded simulated ZTF light curves, as measured (FLUXCAL)."""
    from skltransient.datasets import simulate
    from skltransient.preprocessing import LightCurvePadder

    X, _ = simulate("ztf", 150, random_state=0, return_X_y=True)
    return {rep: LightCurvePadder(rep, metadata_columns=()).fit_transform(X)
            for rep in ("observations", "grid")}


def _scale_of_batch(values, normalizer, dataset, index):
    """The scale a batch's fluxes were divided by: read from its brightness channel
    (the AB magnitude of the scale), or, for arcsinh, the dataset's (noise does not change it)."""
    if normalizer.method == "arcsinh":
        return dataset.flux_scale[index, :values.shape[1]].numpy().astype(np.float64)
    magnitude = values[:, :, -1].numpy().astype(np.float64)
    return 10 ** ((27.5 - 20.0 - 5.0 * magnitude) / 2.5)


@pytest.mark.parametrize("method", ["running_peak", "peak", "median", "arcsinh"])
@pytest.mark.parametrize("representation", ["observations", "grid"])
def test_flux_noise_is_drawn_in_flux_units_before_normalisation(simulated, method,
                                                                representation):
    """Check that noisy training batches are the normaliser's scaling of noisy measured fluxes:
    |flux| <= 1 where the normaliser guarantees it, uncertainties consistent with the new scale,
    and noise z-scores against the measured uncertainty of mean 0 and std 1."""
    from skltransient.preprocessing import FluxNormalizer

    raw = simulated[representation]
    normalizer = FluxNormalizer(method)
    dataset = PaddedDataset(normalizer.fit_transform(raw), np.arange(len(raw)))
    flux, err = list(raw.flux_channels), list(raw.flux_err_channels)
    torch.manual_seed(0)
    z, inside = [], []
    for X, index in BatchIterator(dataset, batch_size=64, flux_noise=1.0):
        values, index = X["values"], index.numpy()
        steps = values.shape[1]
        valid = (np.arange(steps)[None, :] < X["lengths"].numpy()[:, None])[:, :, None]
        measured = raw.values[index, :steps]
        if method in ("peak", "running_peak"):
            assert np.all(np.abs(values[:, :, flux].numpy()) <= 1 + 1e-6)
        scale = _scale_of_batch(values, normalizer, dataset, index)
        flux_back, err_back = normalizer.unscale(values.numpy().astype(np.float64), scale,
                                                 flux, err)
        np.testing.assert_allclose(err_back * valid, measured[:, :, err] * valid,
                                   rtol=1e-4, atol=1e-3)
        observed = valid & (measured[:, :, err] > 0)
        z.append(((flux_back - measured[:, :, flux]) / np.where(observed, measured[:, :, err],
                                                                1.0))[observed])
    z = np.concatenate(z)
    assert z.size > 2000
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_flux_noise_unscaled_without_a_normaliser(simulated):
    """Check that a dataset no normaliser scaled gets noise on its fluxes as they are, and
    unchanged uncertainties."""
    raw = simulated["observations"]
    dataset = PaddedDataset(raw, np.arange(len(raw)))
    torch.manual_seed(0)
    (X, index), *_ = list(BatchIterator(dataset, batch_size=len(raw), flux_noise=2.0))
    clean = dataset.values[index, :X["values"].shape[1]]
    assert torch.equal(X["values"][:, :, [0, 2, 3]], clean[:, :, [0, 2, 3]])
    observed = clean[:, :, 2] > 0
    z = ((X["values"][:, :, 1] - clean[:, :, 1]) / (2.0 * clean[:, :, 2]))[observed]
    assert abs(z.mean().item()) < 0.05 and abs(z.std().item() - 1) < 0.05


def test_observation_dropout_masks_grid_steps_in_place():
    """Check that dropout on a grid keeps every step at its position (its time): dropped steps
    have their flux and uncertainty channels zeroed, lengths and other channels unchanged."""
    lengths = [40, 1, 25, 3] * 25
    dataset = _observations(lengths, n_channels=3)
    dataset.representation = "grid"  # flux channel 1, flux_err channel 2
    iterator = BatchIterator(dataset, batch_size=10, shuffle=True, observation_dropout=0.5)
    torch.manual_seed(0)
    shares = []
    for X, index in iterator:
        clean = dataset.values[index, :X["values"].shape[1]]
        assert torch.equal(X["lengths"], dataset.lengths[index])
        assert torch.equal(X["values"][:, :, 0], clean[:, :, 0])  # not a flux channel
        kept = torch.all(X["values"] == clean, dim=2)
        dropped = (X["values"][:, :, 1] == 0) & (X["values"][:, :, 2] == 0)
        assert torch.all(kept | dropped)  # a step is either itself, in place, or masked
        inside = torch.arange(clean.shape[1])[None, :] < X["lengths"][:, None]
        assert torch.all((kept & ~dropped & inside).any(1))  # at least one kept
        long = X["lengths"] == 40
        shares.append(dropped[long].float().mean(1))
    assert 0.4 < torch.cat(shares).mean().item() < 0.6


def test_start_is_the_first_step_at_or_after_the_trigger_and_follows_dropout():
    """Check from_trigger's start: steps before the trigger counted, NaN triggers at 0, dropout keeping it on its step."""
    n, steps = 60, 30
    times = np.tile(np.arange(steps, dtype=float), (n, 1))
    lengths = np.full(n, steps)
    lengths[-1] = 5
    times[-1, 5:] = np.nan  # padding
    trigger = np.full(n, 12.0)
    trigger[0], trigger[-1] = np.nan, 20.0  # no trigger; a trigger after the last step
    values = np.zeros((n, steps, 3), np.float32)
    values[:, :, 0] = times  # the time channel says which step a kept step was
    values[-1, 5:] = 0.0
    padded = SimpleNamespace(values=values, lengths=lengths, times=times, trigger=trigger,
                             metadata=np.zeros((n, 0), np.float32))
    dataset = PaddedDataset(padded, np.arange(n), from_trigger=True)
    assert dataset.start[0] == 0 and dataset.start[1] == 12 and dataset.start[-1] == 5
    assert "start" not in PaddedDataset(padded, np.arange(n))[torch.arange(3)][0]
    iterator = BatchIterator(dataset, batch_size=20, shuffle=True, observation_dropout=0.5)
    torch.manual_seed(0)
    dropped = 0
    for X, index in iterator:
        for row, n_kept, start, i in zip(X["values"], X["lengths"], X["start"], index):
            kept = row[:n_kept, 0].numpy()
            # The start is the number of kept steps before the trigger's step.
            expected = 0 if np.isnan(trigger[i]) else int((kept < trigger[i]).sum())
            assert int(start) == expected
            dropped += int(n_kept < lengths[i])
    assert dropped > n // 2


def test_observation_dropout_recomputes_the_gap_channel():
    """Check that a kept step's log_gap runs from the previous kept step after dropout, the other channels moving unchanged."""
    n, steps = 40, 25
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.exponential(3.0, (n, steps)), axis=1)
    times -= times[:, :1]
    values = np.zeros((n, steps, 3), np.float32)
    values[:, :, 0] = times
    values[:, :, 2] = np.log10(1 + np.diff(times, axis=1, prepend=times[:, :1]))
    padded = SimpleNamespace(values=values, lengths=np.full(n, steps), channels=("time", "flux", "log_gap"),
                             metadata=np.zeros((n, 0), np.float32))
    dataset = PaddedDataset(padded, np.arange(n))
    assert dataset.gap_channel == 2
    torch.manual_seed(0)
    for X, _ in BatchIterator(dataset, batch_size=10, shuffle=True, observation_dropout=0.5):
        for row, n_kept in zip(X["values"].numpy(), X["lengths"].numpy()):
            kept = row[:n_kept, 0].astype(float)
            expected = np.log10(1 + np.diff(kept, prepend=kept[:1]))
            np.testing.assert_allclose(row[:n_kept, 2], expected, atol=2e-4)
