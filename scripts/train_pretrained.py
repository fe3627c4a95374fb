"""Rebuild the shipped base model ``skltransient/pretrained/ztf-sims``.

Usage: ``python scripts/train_pretrained.py [N_PER_CLASS] [SEED]``.
"""

import sys
from pathlib import Path

from skltransient._experiment import model_card, train_base_model
from skltransient.persistence import save_model

n_per_class = int(sys.argv[1]) if len(sys.argv) > 1 else 400
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
model, report = train_base_model(n_per_class, random_state=seed, verbose=1)
out = Path(__file__).resolve().parents[1] / "skltransient" / "pretrained" / "ztf-sims"
card = model_card(report, n_per_class=n_per_class, random_state=seed,
                  command=f"python scripts/train_pretrained.py {n_per_class} {seed}")
save_model(model, out, card=card)
print(card)
