"""The command line: each subcommand, its help, and clean errors for user mistakes."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skltransient import LightCurves
from skltransient.cli import main


def test_help_for_every_subcommand(capsys):
    """Check that --help works on the program and every subcommand."""
    for argv in ([], ["reproduce"], ["simulate"], ["train"], ["predict"], ["info"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv + ["--help"])
        assert exit_info.value.code == 0
        assert "usage: skltransient" in capsys.readouterr().out


def test_simulate_train_predict_info(tmp_path, capsys):
    """Check the simulate -> train -> predict -> info round trip on files."""
    data = tmp_path / "ztf.parquet"
    main(["simulate", "ztf", "60", "--out", str(data), "--seed", "1"])
    X, y = LightCurves.read_parquet(data)
    assert len(X) == 60 and len(y) == 60
    model = tmp_path / "model"
    main(["train", str(data), "--out", str(model), "--epochs", "1", "--device", "cpu"])
    assert (model / "model.json").is_file() and (model / "weights.pt").is_file()
    out = tmp_path / "proba.csv"
    main(["predict", str(model), str(data), "--out", str(out)])
    proba = pd.read_csv(out, index_col="object_id")
    assert proba.shape == (60, len(np.unique(y)))
    assert proba.index.tolist() == X.object_ids.tolist()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    capsys.readouterr()
    main(["info", str(model)])
    assert "classes (" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["predict", "no-such-model", "x.parquet", "--out", "p.csv"], "No model at no-such-model"),
    (["simulate", "ztf", "0", "--out", "x.parquet"], "N must be a positive number"),
    (["train", "missing.parquet", "--out", "m"], "missing.parquet does not exist"),
])
def test_user_errors_exit_cleanly(argv, message, capsys, tmp_path, monkeypatch):
    """Check that user errors give a message and exit code 2, never a traceback."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unknown_format_and_bad_choice(tmp_path, capsys):
    """Check an unknown file type and a bad survey name."""
    odd = tmp_path / "data.xyz"
    odd.write_text("1")
    with pytest.raises(SystemExit):
        main(["train", str(odd), "--out", str(tmp_path / "m")])
    assert "Cannot tell the format" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "hubble", "5", "--out", "x.parquet"])
    assert exit_info.value.code == 2


def test_module_entry_point():
    """Check that python -m skltransient runs the same program."""
    result = subprocess.run([sys.executable, "-m", "skltransient", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "reproduce" in result.stdout


def test_predict_with_the_shipped_model(tmp_path):
    """Check that predict on the shipped ztf-sims model and a simulated file writes probabilities."""
    data = tmp_path / "ztf.parquet"
    main(["simulate", "ztf", "20", "--out", str(data)])
    main(["predict", "ztf-sims", str(data), "--out", str(tmp_path / "p.csv")])
    proba = pd.read_csv(tmp_path / "p.csv", index_col="object_id")
    assert proba.shape == (20, 11) and "SN Ia" in proba.columns
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
