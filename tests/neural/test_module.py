import pytest
import torch

from skltransient.neural import TransientGRU
from skltransient.neural._module import POOLING, n_parameters


@pytest.mark.parametrize("pooling", POOLING)
def test_training_and_inference_paths_agree(pooling):
    """Check that training and evaluation modes give the same logits without dropout, whatever the padding holds."""
    torch.manual_seed(0)
    module = TransientGRU(4, 2, 5, hidden_size=16, num_layers=2, dropout=0.0, pooling=pooling)
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


@pytest.mark.parametrize("pooling", POOLING)
def test_forward_sequence_matches_forward_at_last_step(pooling):
    """Check that per-step logits at each length equal the whole-sequence logits."""
    torch.manual_seed(1)
    module = TransientGRU(3, 0, 4, hidden_size=8, pooling=pooling).eval()
    values, lengths = torch.randn(5, 6, 3), torch.tensor([6, 2, 3, 1, 5])
    per_step = module.forward_sequence(values, torch.zeros(5, 0))
    torch.testing.assert_close(per_step[torch.arange(5), lengths - 1],
                               module(values, lengths, torch.zeros(5, 0)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pooling", POOLING)
def test_unpacked_encoding_matches_packed_values_and_gradients(pooling):
    """Check that packed=False gives the packed logits and gradients, whatever the padding holds."""
    torch.manual_seed(2)
    module = TransientGRU(3, 2, 4, hidden_size=8, num_layers=2, dropout=0.0, pooling=pooling)
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


@pytest.mark.parametrize("n_metadata, num_layers, pooling",
                         [(0, 1, "last"), (3, 1, "mean"), (2, 3, "last"), (2, 2, "attention")])
def test_n_parameters_counts_the_module_without_building_it(n_metadata, num_layers, pooling):
    """Check that n_parameters equals the parameter count of the module it describes."""
    sizes = dict(hidden_size=7, num_layers=num_layers, metadata_size=5, head_size=6,
                 pooling=pooling)
    module = TransientGRU(4, n_metadata, 3, **sizes)
    assert n_parameters(4, n_metadata, 3, **sizes) == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("pooling", POOLING)
def test_step_then_classify_is_the_forward_pass(pooling):
    """Check that stepping the network a few steps at a time and classifying its representation
    gives forward's logits: the pass that streaming continues."""
    torch.manual_seed(2)
    module = TransientGRU(3, 2, 4, hidden_size=8, num_layers=2, pooling=pooling).eval()
    values, metadata = torch.randn(5, 6, 3), torch.randn(5, 2)
    with torch.no_grad():
        whole = module(values, torch.full((5,), 6), metadata)
        hidden, pooled = values.new_zeros(2, 5, 8), values.new_zeros(5, module.pool_size)
        for start in (0, 1, 4):  # steps 0, 1-3, 4-5
            encoded, hidden, pooled = module.step(values[:, start:{0: 1, 1: 4, 4: 6}[start]],
                                                  hidden, pooled)
        stepped = module.classify(encoded, metadata)
        again = module.classify(module.represent(hidden[-1], pooled), metadata)
        over_time = module.forward_sequence(values, metadata)
    torch.testing.assert_close(stepped, whole, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(again, whole, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(over_time[:, -1], whole, rtol=1e-5, atol=1e-6)
    assert module.classify(module.pool(module.encoder(values)[0]), metadata).shape == (5, 6, 4)


def test_pooling_reads_every_step_so_far_and_no_later_one():
    """Check that mean pooling is the running mean of the last layer's states (causal), and that
    attention pooling weighs them by its bounded scores."""
    torch.manual_seed(3)
    states = torch.rand(2, 5, 4) * 2 - 1
    mean = TransientGRU(3, 0, 2, hidden_size=4, pooling="mean").pool(states)
    assert mean.shape == (2, 5, 8)
    torch.testing.assert_close(mean[:, :, :4], states)
    torch.testing.assert_close(mean[:, 2, 4:], states[:, :3].mean(1))
    attention = TransientGRU(3, 0, 2, hidden_size=4, pooling="attention")
    with torch.no_grad():
        attention.attention.weight.copy_(torch.tensor([[100.0, 0, 0, 0]]))  # score: +-5 bound
        attention.attention.bias.zero_()
        pooled = attention.pool(states)[:, :, 4:]
    weights = torch.exp(5 * torch.tanh(100 * states[..., :1]))
    torch.testing.assert_close(pooled[:, 3], (weights[:, :4] * states[:, :4]).sum(1)
                               / weights[:, :4].sum(1))
    changed = states.clone()
    changed[:, 4] = 9.0  # a later step never moves an earlier representation
    torch.testing.assert_close(attention.pool(changed)[:, :4], attention.pool(states)[:, :4])


def test_pooling_is_refused_by_name():
    """Check that an unknown pooling is refused, naming the choices."""
    with pytest.raises(ValueError, match="pooling='max' is not one of"):
        TransientGRU(3, 0, 2, pooling="max")
