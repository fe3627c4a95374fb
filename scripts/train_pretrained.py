"""Rebuild the shipped base model ``skltransient/pretrained/ztf-sims``.

Usage: ``python scripts/train_pretrained.py [N_PER_CLASS] [SEED] [MAX_EPOCHS]``.
"""

import sys
from pathlib import Path

import torch

from skltransient._experiment import model_card, train_base_model
from skltransient.persistence import save_model

# One thread: the same floating-point reductions on any CPU, so the same model.
torch.set_num_threads(1)
n_per_class = int(sys.argv[1]) if len(sys.argv) > 1 else 400
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
max_epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 60
model, report = train_base_model(n_per_class, max_epochs=max_epochs, random_state=seed, verbose=1)
model[-1].set_params(verbose=0)  # quiet when users load and refit it
out = Path(__file__).resolve().parents[1] / "skltransient" / "pretrained" / "ztf-sims"
card = model_card(report, n_per_class=n_per_class, random_state=seed,
                  command=f"python scripts/train_pretrained.py {n_per_class} {seed} {max_epochs}")
save_model(model, out, card=card)
print(card)
