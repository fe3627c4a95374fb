import torch

from skltransient.neural import TransientGRU


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
