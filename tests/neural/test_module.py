import pytest
import torch

from skltransient.neural import TransientGRU
from skltransient.neural._module import n_parameters


def test_training_and_inference_paths_agree():
    """Check that training and evaluation modes give the same logits without dropout, whatever the padding holds."""
    torch.manual_seed(0)
    module = TransientGRU(4, 2, 5, hidden_size=16, num_layers=2, dropout=0.0)
    values = torch.randn(6, 9, 4)
    lengths = torch.tensor([9, 1, 4, 7, 2, 9])
    values[torch.arange(9)[None, :] >= lengths[:, None]] = 0.0
    metadata = torch.randn(6, 2)
    module.train()
    padded = module(values, lengths, metadata)
    module.eval()
    packed = module(values, lengths, metadata)
    torch.testing.assert_close(padded, packed, rtol=1e-5, atol=1e-6)
    garbage = values.clone()
    garbage[torch.arange(9)[None, :] >= lengths[:, None]] = 7.0  # padding content never matters
    module.train()
    torch.testing.assert_close(module(garbage, lengths, metadata), padded)


def test_forward_sequence_matches_forward_at_last_step():
    """Check that per-step logits at each length equal the whole-sequence logits."""
    torch.manual_seed(1)
    module = TransientGRU(3, 0, 4, hidden_size=8).eval()
    values, lengths = torch.randn(5, 6, 3), torch.tensor([6, 2, 3, 1, 5])
    per_step = module.forward_sequence(values, torch.zeros(5, 0))
    torch.testing.assert_close(per_step[torch.arange(5), lengths - 1],
                               module(values, lengths, torch.zeros(5, 0)), rtol=1e-5, atol=1e-6)


def test_unpacked_encoding_matches_packed_values_and_gradients():
    """Check that packed=False gives the packed logits and gradients, whatever the padding holds."""
    torch.manual_seed(2)
    module = TransientGRU(3, 2, 4, hidden_size=8, num_layers=2, dropout=0.0)
    values, lengths = torch.randn(5, 7, 3), torch.tensor([7, 1, 3, 0, 6])
    values[torch.arange(7)[None, :] >= lengths[:, None]] = 5.0
    metadata = torch.randn(5, 2)
    results = []
    for packed in (True, False):
        module.zero_grad()
        logits = module(values, lengths, metadata, packed=packed)
        logits.square().sum().backward()
        results.append((logits, [p.grad.clone() for p in module.parameters()]))
    torch.testing.assert_close(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)
    for unpacked, packed in zip(results[1][1], results[0][1]):
        torch.testing.assert_close(unpacked, packed, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("n_metadata, num_layers", [(0, 1), (3, 1), (2, 3)])
def test_n_parameters_counts_the_module_without_building_it(n_metadata, num_layers):
    """Check that n_parameters equals the parameter count of the module it describes."""
    sizes = dict(hidden_size=7, num_layers=num_layers, metadata_size=5, head_size=6)
    module = TransientGRU(4, n_metadata, 3, **sizes)
    assert n_parameters(4, n_metadata, 3, **sizes) == sum(p.numel() for p in module.parameters())


def test_step_then_classify_is_the_forward_pass():
    """Check that stepping the GRU a few steps at a time and classifying its state gives forward's
    logits: the pass that streaming continues."""
    torch.manual_seed(2)
    module = TransientGRU(3, 2, 4, hidden_size=8, num_layers=2).eval()
    values, metadata = torch.randn(5, 6, 3), torch.randn(5, 2)
    with torch.no_grad():
        whole = module(values, torch.full((5,), 6), metadata)
        hidden = values.new_zeros(2, 5, 8)
        for start in (0, 1, 4):  # steps 0, 1-3, 4-5
            hidden = module.step(values[:, start:{0: 1, 1: 4, 4: 6}[start]], hidden)
        stepped = module.classify(hidden[-1], metadata)
        over_time = module.forward_sequence(values, metadata)
    torch.testing.assert_close(stepped, whole, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(over_time[:, -1], whole, rtol=1e-5, atol=1e-6)
    assert module.classify(module.encoder(values)[0], metadata).shape == (5, 6, 4)
