"""The command line: each subcommand, its help, and clean errors for user mistakes."""

import shutil
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


def test_train_features_model_predicts_like_the_pipeline(tmp_path, capsys):
    """Check train --model features: the feature baseline, saved, loaded and used by predict and info."""
    pytest.importorskip("light_curve")
    from skltransient.recipes import features_pipeline

    data = tmp_path / "ztf.parquet"
    main(["simulate", "ztf", "80", "--out", str(data), "--seed", "2"])
    model = tmp_path / "features"
    main(["train", str(data), "--model", "features", "--out", str(model), "--seed", "0"])
    assert (model / "features-model.joblib").is_file() and not (model / "weights.pt").exists()
    out = tmp_path / "proba.csv"
    main(["predict", str(model), str(data), "--out", str(out)])
    X, y = LightCurves.read_parquet(data)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = features_pipeline(random_state=0).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(pd.read_csv(out, index_col="object_id").to_numpy(), expected,
                               rtol=1e-6)
    capsys.readouterr()
    main(["info", str(model)])
    printed = capsys.readouterr().out
    assert "LightCurveFeatures -> " in printed and "-> HistGradientBoostingClassifier" in printed
    assert "features: 43" in printed  # 17 per band x 2, a colour, 6 timing features, 2 metadata
    (model / "features-model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(model), str(data), "--out", str(out), "--overwrite"])
    assert exit_info.value.code == 2
    assert "features-model.joblib" in capsys.readouterr().err


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


def assert_one_line_error(exit_info, capsys, *names):
    """Check exit code 2 and a one-line message on stderr naming each of ``names``."""
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for name in names:
        assert str(name) in err, err
    return err


def write_avro_alerts(path, n_alerts=50):
    """A small ZTF alert file in Avro (one candidate per alert, no history)."""
    fastavro = pytest.importorskip("fastavro")
    fields = [("jd", "double"), ("fid", "int"), ("magpsf", ["null", "float"]),
              ("sigmapsf", ["null", "float"]), ("diffmaglim", ["null", "float"]),
              ("isdiffpos", ["null", "string"]), ("ra", ["null", "double"]),
              ("dec", ["null", "double"])]
    candidate = {"type": "record", "name": "candidate",
                 "fields": [{"name": n, "type": t} for n, t in fields]}
    schema = fastavro.parse_schema({"type": "record", "name": "alert", "fields": [
        {"name": "objectId", "type": "string"}, {"name": "candidate", "type": candidate},
        {"name": "prv_candidates", "type": ["null", {"type": "array", "items": "candidate"}]}]})
    alerts = [{"objectId": f"ZTF{i}", "prv_candidates": None, "candidate": {
        "jd": 2459500.5 + i, "fid": 1 + i % 2, "magpsf": 19.0, "sigmapsf": 0.1, "diffmaglim": 20.5,
        "isdiffpos": "t", "ra": 1.0, "dec": 2.0}} for i in range(n_alerts)]
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, alerts)


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def truncated_avro(folder):
    path = folder / "alerts.avro"
    write_avro_alerts(path)
    truncate(path)
    return path


def truncated_csv_gz(folder):
    path = folder / "lightcurves.csv.gz"
    n = 400
    pd.DataFrame({"object_id": np.repeat(np.arange(40), 10), "mjd": 60000.0 + np.arange(n) % 10,
                  "passband": np.arange(n) % 6, "flux": np.linspace(-1, 5, n),
                  "flux_err": np.ones(n)}).to_csv(path, index=False)
    truncate(path)
    return path


@pytest.mark.parametrize("make", [truncated_avro, truncated_csv_gz])
def test_predict_truncated_data_file_is_a_one_line_error(tmp_path, capsys, make):
    """Check that a truncated Avro or gzip data file exits with code 2 and one line naming it."""
    path = make(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "ztf-sims", str(path), "--out", str(tmp_path / "p.csv")])
    assert_one_line_error(exit_info, capsys, path)


def test_predict_folder_with_clashing_object_ids_is_a_one_line_error(tmp_path, capsys):
    """Check that a folder of two simulated files with the same object ids names both files."""
    (tmp_path / "night").mkdir()
    for seed in (0, 1):
        main(["simulate", "ztf", "3", "--out", str(tmp_path / "night" / f"{seed}.parquet"),
              "--seed", str(seed)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "ztf-sims", str(tmp_path / "night"), "--out", str(tmp_path / "p.csv")])
    assert_one_line_error(exit_info, capsys, tmp_path / "night" / "0.parquet",
                          tmp_path / "night" / "1.parquet")


@pytest.mark.parametrize("damage", [lambda data: b"", lambda data: data[: len(data) // 2]],
                         ids=["empty", "truncated"])
def test_predict_damaged_weights_is_a_one_line_error(tmp_path, capsys, damage):
    """Check that an empty or truncated weights.pt exits with code 2 and one line naming it."""
    from importlib import resources

    shutil.copytree(resources.files("skltransient.pretrained") / "ztf-sims", tmp_path / "model")
    weights = tmp_path / "model" / "weights.pt"
    weights.write_bytes(damage(weights.read_bytes()))
    data = tmp_path / "ztf.parquet"
    main(["simulate", "ztf", "3", "--out", str(data)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(tmp_path / "model"), str(data), "--out", str(tmp_path / "p.csv")])
    assert_one_line_error(exit_info, capsys, weights)


def test_predict_unwritable_output_is_a_one_line_error(tmp_path, capsys):
    """Check that an --out in a folder that does not exist exits with code 2, naming it."""
    data = tmp_path / "ztf.parquet"
    main(["simulate", "ztf", "3", "--out", str(data)])
    capsys.readouterr()
    out = tmp_path / "absent" / "p.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "ztf-sims", str(data), "--out", str(out)])
    assert_one_line_error(exit_info, capsys, out)


@pytest.mark.parametrize("device, message", [
    ("bogus", "'bogus' is not a torch device"),
    ("cuda", "CUDA is not available on this machine"),
])
def test_train_device_is_checked_before_anything_runs(tmp_path, capsys, monkeypatch, device, message):
    """Check that a bad --device is refused by the argument parser with exit code 2."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(tmp_path / "absent.parquet"), "--out", str(tmp_path / "m"),
              "--device", device])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --device: {message}" in err.splitlines()[-1] and "Traceback" not in err


def test_simulate_refuses_absurd_sizes_up_front(tmp_path, capsys):
    """Check that simulate refuses more light curves than its limit, giving the limit and memory."""
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "ztf", "1000000000000", "--out", str(tmp_path / "x.parquet")])
    err = assert_one_line_error(exit_info, capsys, "1000000000000")
    assert "at most 10,000,000" in err and "16 PB" in err
    assert not (tmp_path / "x.parquet").exists()


def test_cli_does_not_hide_library_errors(tmp_path, monkeypatch):
    """Check that a ValueError from the model (not from a file or an argument) is not swallowed."""
    from skltransient import pretrained

    class Broken:
        classes_ = np.array(["a"])

        def predict_proba(self, X):
            raise ValueError("a bug")

    monkeypatch.setattr(pretrained, "load", lambda name: Broken())
    data = tmp_path / "ztf.parquet"
    main(["simulate", "ztf", "3", "--out", str(data)])
    with pytest.raises(ValueError, match="a bug"):
        main(["predict", "ztf-sims", str(data), "--out", str(tmp_path / "p.csv")])


def test_train_on_one_class_is_a_one_line_error(tmp_path, capsys):
    """Check that labels of a single class are refused before training, naming the file."""
    from skltransient.utils._testing import make_toy_lightcurves

    X, y = make_toy_lightcurves(6)
    X.to_parquet(tmp_path / "one.parquet", y=np.full(len(y), "SN Ia"))
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(tmp_path / "one.parquet"), "--out", str(tmp_path / "model")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "one.parquet" in err and "one class" in err and "'SN Ia'" in err


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["reproduce", "--help"],
                                  ["train"]])
def test_help_and_argument_errors_do_not_import_torch(argv):
    """Check that --help and a usage error answer without importing torch or scikit-learn."""
    import subprocess
    import sys

    code = ("import sys\nfrom skltransient.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('torch', 'sklearn', 'pandas', 'skorch') if m in sys.modules)\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out, out[-300:]


def test_simulate_says_its_class_mix_and_balances_on_request(tmp_path, capsys):
    """Check that simulate prints the class counts, and --balanced draws every class alike."""
    from skltransient.datasets import survey_classes

    main(["simulate", "ztf", "44", "--out", str(tmp_path / "mix.parquet")])
    physical = capsys.readouterr().out
    _, y = LightCurves.read_parquet(tmp_path / "mix.parquet")
    names, counts = np.unique(y, return_counts=True)
    assert f"classes ({len(names)}, physical mix): SN Ia {counts[names == 'SN Ia'][0]}" in physical
    main(["simulate", "ztf", "220", "--balanced", "--out", str(tmp_path / "even.parquet")])
    balanced = capsys.readouterr().out
    _, y = LightCurves.read_parquet(tmp_path / "even.parquet")
    names, counts = np.unique(y, return_counts=True)
    # 20 expected of each; the physical mix has about 140 SNe Ia in 220 and no kilonova.
    assert sorted(names) == sorted(survey_classes("ztf")) and counts.min() >= 8 and counts.max() <= 35
    assert "classes (11, balanced)" in balanced


def test_reproduce_accepts_bts_and_refuses_an_unknown_target(monkeypatch, capsys):
    """Check that --target bts reaches the experiment, and an unknown name is one clear line."""
    from skltransient import _experiment

    called = {}
    monkeypatch.setattr(_experiment, "reproduce", lambda targets, **kw: called.update(t=targets))
    main(["reproduce", "--target", "bts", "--out", "x"])
    assert called["t"] == ["bts"]
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--target", "hubble"])
    assert exit_info.value.code == 2
    assert "neither lsst, ztf-bts, plasticc, bts nor an existing" in capsys.readouterr().err


def simulated(tmp_path, n=6, name="data.parquet"):
    from skltransient.utils._testing import make_toy_lightcurves

    X, y = make_toy_lightcurves(n, 2)
    X.to_parquet(tmp_path / name, y=y)
    return tmp_path / name


@pytest.mark.parametrize("out", [
    lambda data, model: data,  # the data file itself
    lambda data, model: data.parent,  # the folder that holds it
    lambda data, model: model,  # the model folder
    lambda data, model: model / "proba.csv",  # inside the model folder
])
def test_predict_refuses_an_output_that_is_an_input(tmp_path, capsys, out):
    """Check that --out that is, contains or lies in an input is refused before any work, even
    with --overwrite, and leaves the input as it was."""
    data = simulated(tmp_path)
    model = tmp_path / "model"
    main(["train", str(data), "--out", str(model), "--epochs", "1", "--device", "cpu"])
    capsys.readouterr()
    before = data.read_bytes()
    target = out(data, model)
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(model), str(data), "--out", str(target), "--overwrite"])
    err = assert_one_line_error(exit_info, capsys, target)
    assert "write the output elsewhere" in err
    assert data.read_bytes() == before
    assert sorted(p.name for p in model.iterdir()) == ["MODEL_CARD.md", "model.json", "weights.pt"]


def test_cli_refuses_an_existing_output_unless_told_to_overwrite(tmp_path, capsys):
    """Check that simulate and predict refuse an existing --out (exit 2, file intact) and replace it
    with --overwrite."""
    out = tmp_path / "sim.parquet"
    out.write_bytes(b"my own data")
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "ztf", "3", "--out", str(out)])
    assert "exists" in assert_one_line_error(exit_info, capsys, out)
    assert out.read_bytes() == b"my own data"
    main(["simulate", "ztf", "3", "--out", str(out), "--overwrite"])
    assert len(LightCurves.read_parquet(out)[0]) == 3
    proba = tmp_path / "p.csv"
    proba.write_text("mine")
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "ztf-sims", str(out), "--out", str(proba)])
    assert_one_line_error(exit_info, capsys, proba)
    assert proba.read_text() == "mine"
    main(["predict", "ztf-sims", str(out), "--out", str(proba), "--overwrite"])
    assert pd.read_csv(proba).shape == (3, 12)


def test_train_refuses_a_folder_that_is_not_a_model_even_with_overwrite(tmp_path, capsys):
    """Check that train --out on a folder of something else is refused, and the folder kept."""
    data = simulated(tmp_path)
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("...")
    for extra in ([], ["--overwrite"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["train", str(data), "--out", str(tmp_path / "thesis"), "--epochs", "1", *extra])
        assert_one_line_error(exit_info, capsys, tmp_path / "thesis")
    assert [p.name for p in (tmp_path / "thesis").iterdir()] == ["chapter1.tex"]


def test_train_over_a_features_model_leaves_only_the_new_model(tmp_path, capsys):
    """Check that train --model gru --overwrite over a features model replaces the folder whole, so
    that predict and info use the GRU and the card is the GRU's."""
    pytest.importorskip("light_curve")
    data = simulated(tmp_path, n=20)
    model = tmp_path / "m"
    main(["train", str(data), "--model", "features", "--out", str(model)])
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(data), "--model", "gru", "--out", str(model), "--epochs", "1"])
    capsys.readouterr()
    main(["train", str(data), "--model", "gru", "--out", str(model), "--epochs", "1", "--device",
          "cpu", "--overwrite"])
    assert sorted(p.name for p in model.iterdir()) == ["MODEL_CARD.md", "model.json", "weights.pt"]
    assert "--model gru" in (model / "MODEL_CARD.md").read_text()
    capsys.readouterr()
    main(["info", str(model)])
    assert "steps: LightCurvePadder" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "m"]


@pytest.mark.parametrize("command", ["train", "predict"])
def test_cli_on_a_file_with_no_light_curves_is_a_one_line_error(tmp_path, capsys, command):
    """Check that a file of 0 light curves is refused by train and predict in one line naming it."""
    from skltransient.utils._testing import make_toy_lightcurves

    X, y = make_toy_lightcurves(3)
    X[np.array([], dtype=int)].to_parquet(tmp_path / "empty.parquet", y=y[:0])
    argv = ["train", str(tmp_path / "empty.parquet"), "--out", str(tmp_path / "m")]
    if command == "predict":
        argv = ["predict", "ztf-sims", str(tmp_path / "empty.parquet"), "--out", str(tmp_path / "p.csv")]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = assert_one_line_error(exit_info, capsys, tmp_path / "empty.parquet")
    assert "holds no light curves" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.parquet"]


def test_simulate_interrupted_leaves_no_file(tmp_path, monkeypatch):
    """Check that Ctrl-C while simulate writes leaves no output that reads as fewer light curves."""
    import skltransient._parquet as layout

    tables = layout._observation_table

    def interrupted(pa, lc, objects, start, stop):
        if start > 0:
            raise KeyboardInterrupt
        return tables(pa, lc, objects, start, stop)

    monkeypatch.setattr(layout, "_ROW_GROUP_ROWS", 100)
    monkeypatch.setattr(layout, "_observation_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["simulate", "ztf", "40", "--out", str(tmp_path / "sim.parquet")])
    assert list(tmp_path.iterdir()) == []


def test_reproduce_refuses_an_existing_output_and_keeps_it_when_interrupted(tmp_path, capsys,
                                                                          monkeypatch):
    """Check that reproduce refuses an earlier output folder without --overwrite, and that an
    interrupted run with --overwrite leaves the earlier results whole."""
    from skltransient import _experiment

    out = tmp_path / "results"
    out.mkdir()
    (out / "results.md").write_text("earlier")
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--target", "lsst", "--out", str(out)])
    assert_one_line_error(exit_info, capsys, out)

    def interrupted(targets, mode, folder, *args):
        (folder / "results.md").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(_experiment, "_reproduce", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["reproduce", "--target", "lsst", "--out", str(out), "--overwrite"])
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    assert (out / "results.md").read_text() == "earlier"
