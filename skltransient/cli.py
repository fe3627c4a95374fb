"""The ``skltransient`` command line: reproduce, simulate, train, predict, info."""

import argparse
import sys
import warnings
import zlib
from contextlib import contextmanager
from pathlib import Path

from .utils._memory import format_bytes

__all__ = ["main"]

#: Most light curves ``skltransient simulate`` makes in one run.
MAX_SIMULATE = 10_000_000
# Peak memory per light curve of simulate + to_parquet, measured for "ztf" and
# "lsst" with the default window (about 50 observations each).
_SIMULATE_BYTES = 16_000
# What reading a damaged or unreadable file raises: the readers' ValueError,
# OSError (gzip.BadGzipFile, missing files), EOFError (truncated gzip, Avro),
# zlib.error (corrupt deflate data), ImportError (an optional reader missing).
_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error, ImportError)


class UserError(Exception):
    """A problem with the command's arguments or files, reported in one line without a traceback."""


@contextmanager
def _file_errors(path, errors=_READ_ERRORS):
    """Turn ``errors`` raised while handling the file ``path`` into a UserError naming it."""
    try:
        yield
    except errors as error:
        message = " ".join(str(error).split()) or type(error).__name__
        if str(path) not in message:
            message = f"{path}: {message}"
        raise UserError(message) from error


def _device(value):
    """Argument type of --device: auto, cpu, or a CUDA or MPS device that this machine has."""
    if value in ("auto", "cpu"):
        return value
    import torch

    try:
        device = torch.device(value)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a torch device; use auto, cpu, cuda, cuda:N or mps.") from None
    available = {"cuda": torch.cuda.is_available, "mps": torch.backends.mps.is_available}
    if device.type not in available:
        raise argparse.ArgumentTypeError(f"device {value!r} is not supported; use auto, cpu, cuda, "
                                         f"cuda:N or mps.")
    if not available[device.type]():
        raise argparse.ArgumentTypeError(
            f"{device.type.upper()} is not available on this machine (torch "
            f"{torch.__version__}); use --device cpu or --device auto.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise argparse.ArgumentTypeError(f"{value!r}: this machine has {torch.cuda.device_count()} "
                                         f"CUDA devices (cuda:0 to cuda:{torch.cuda.device_count() - 1}).")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="skltransient", description="Classify astronomical transients from light curves and "
        "transfer models between surveys (Gupta & Muthukrishna 2025).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("reproduce", help="run the paper's transfer-learning experiment end to end",
                       description="Transfer against training from scratch at growing fractions of "
                       "the target's labels; writes Markdown/CSV tables and PNG figures.")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="small run: 950 light curves per target, 3 repeats; about 8 minutes on 2 CPU cores (default)")
    size.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="paper-scale run, for a GPU")
    p.add_argument("--target", nargs="+", default=None,
                   help="targets: plasticc (an LSST simulation no one here wrote), bts (the real "
                   "Bright Transient Survey, downloaded once: needs the internet), a folder with a "
                   "cached bts copy, ztf-bts (BTS-like, from the base model's own simulator: "
                   "circular), lsst (the package's own LSST simulation: an upper bound), or a "
                   "labelled data file (default: plasticc, and bts if a fetch_bts cache is present, "
                   "else ztf-bts)")
    p.add_argument("--out", default="reproduce-output", help="output folder (default: reproduce-output)")
    _overwrite_argument(p, "the output folder of an earlier reproduce run")
    p.add_argument("--device", type=_device, default="auto",
                   help="torch device: auto, cpu, cuda, cuda:N or mps (default: auto)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--n-jobs", type=int, default=None,
                   help="parallel fits (default: on CPU one per core, each with one torch thread; "
                   "on a GPU 1); the results do not depend on it")
    p.set_defaults(mode="quick")

    p = sub.add_parser(
        "simulate", help="simulate light curves and write them to Parquet",
        description="The class mix is the survey's expected detected mix by default (rates times "
        "detectable volume: mostly SNe Ia, rare classes few or absent in small samples); "
        "--balanced draws every class with the same probability, as for the shipped base models.")
    p.add_argument("survey", choices=["ztf", "lsst", "ztf-bts"])
    p.add_argument("n", type=int, help=f"number of light curves (at most {MAX_SIMULATE:,})")
    p.add_argument("--out", required=True, help="output .parquet file")
    _overwrite_argument(p, "an existing output file")
    p.add_argument("--balanced", action="store_true",
                   help="every class of the survey equally likely, as for the shipped base models "
                   "(default: the survey's physical mix)")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("train", help="train a classifier on labelled light curves")
    p.add_argument("data", help="labelled data file (see 'predict --help' for formats)")
    p.add_argument("--metadata", help="metadata CSV for PLAsTiCC light curves")
    p.add_argument("--out", required=True, help="model folder to write")
    _overwrite_argument(p, "a model saved in that folder (which is replaced whole)")
    p.add_argument("--model", choices=["gru", "features"], default="gru",
                   help="gru: the package's recurrent network (default); features: light-curve "
                   "features and gradient boosting, the field's standard baseline (needs the "
                   "features extra; saved with joblib, a pickle: load only models you trust)")
    p.add_argument("--epochs", type=int, default=60, help="most GRU epochs (default: 60)")
    p.add_argument("--device", type=_device, default="auto",
                   help="torch device: auto, cpu, cuda, cuda:N or mps (default: auto)")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("predict", help="class probabilities of light curves from a saved model",
                       description="Data formats: Parquet from 'skltransient simulate' or "
                       "LightCurves.to_parquet, ZTF/Rubin alert Parquet or Avro, PLAsTiCC CSV "
                       "(with --metadata), SNANA FITS/DAT, ZTF forced photometry .txt.")
    p.add_argument("model", help="model folder, or a shipped model: ztf-sims or lsst-sims")
    p.add_argument("data", help="data file")
    p.add_argument("--metadata", help="metadata CSV for PLAsTiCC light curves")
    p.add_argument("--out", required=True, help="output .csv (one row per object, one column per class)")
    _overwrite_argument(p, "an existing output file")

    p = sub.add_parser("info", help="describe a saved model")
    p.add_argument("model", help="model folder, or a shipped model: ztf-sims or lsst-sims")
    return parser


def _overwrite_argument(parser, what):
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace {what}; without it, an existing output is refused "
                        f"(outputs are written under a temporary name and renamed when complete)")


def _check_output(args, inputs=(), markers=None):
    """Refuse ``--out`` before any work: an input, or an existing output without --overwrite."""
    from .utils import check_output

    with _file_errors(args.out, (ValueError, OSError)):
        check_output(args.out, inputs=inputs, overwrite=args.overwrite, markers=markers)


def _check_not_empty(X, args, task):
    if len(X) == 0:
        raise UserError(f"{args.data} holds no light curves, so there is nothing to {task}; "
                        f"check that it is the file you meant.")


def _load(model):
    """The model and its card, from a folder or a shipped model's name; a damaged one is a UserError."""
    from . import pretrained
    from .persistence import load_model

    if not Path(model).exists() and model in pretrained.available():
        with _file_errors(model, (ValueError, OSError)):
            return pretrained.load(model), pretrained.card(model)
    path = Path(model)
    if not path.exists():
        raise UserError(f"No model at {path} (and no shipped model of that name; shipped: "
                        f"{pretrained.available()}).")
    card = path / "MODEL_CARD.md"
    card = card.read_text() if card.is_file() else None
    with _file_errors(path, (ValueError, OSError)):
        return load_model(path), card


#: Files of which an earlier ``reproduce`` output folder holds one, so that --overwrite replaces it.
REPRODUCE_MARKERS = ("results.md", "results.csv")


def _read(args):
    """Light curves and labels of the data file; a file that cannot be read is a UserError."""
    from .datasets import read_data

    with _file_errors(args.data):
        return read_data(args.data, args.metadata)


def _simulate(args):
    import numpy as np

    from .datasets import simulate

    if args.n < 1:
        raise UserError("N must be a positive number of light curves.")
    if args.n > MAX_SIMULATE:
        raise UserError(
            f"N = {args.n} light curves would need about {format_bytes(args.n * _SIMULATE_BYTES)} "
            f"of memory; skltransient simulate makes at most {MAX_SIMULATE:,} (about "
            f"{format_bytes(MAX_SIMULATE * _SIMULATE_BYTES)}) in one run.")
    _check_output(args)
    fractions = None
    if args.balanced:
        from .datasets import survey_classes

        names = survey_classes(args.survey)
        fractions = dict.fromkeys(names, 1 / len(names))
    X, y = simulate(args.survey, args.n, class_fractions=fractions, random_state=args.seed,
                    return_X_y=True)
    with _file_errors(args.out, OSError):
        X.to_parquet(args.out, y=y, overwrite=args.overwrite)
    names, counts = np.unique(y, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    mix = ", ".join(f"{names[i]} {counts[i]}" for i in order)
    print(f"wrote {len(X)} {args.survey} light curves ({X.n_observations} observations) to "
          f"{args.out}\nclasses ({len(names)}, {'balanced' if args.balanced else 'physical mix'}): "
          f"{mix}")


def _train(args):
    import numpy as np

    from .persistence import MODEL_MARKERS, save_model
    from .recipes import default_pipeline, features_pipeline

    _check_output(args, [args.data, args.metadata], MODEL_MARKERS)
    X, y = _read(args)
    _check_not_empty(X, args, "train on")
    if y is None:
        raise UserError(f"{args.data} has no labels to train on.")
    classes = np.unique(y)
    if len(classes) < 2:
        raise UserError(f"{args.data} has labels of only one class ({classes[0].item()!r}); "
                        f"training a classifier needs at least two.")
    card = (f"# Model trained by `skltransient train {args.data} --model {args.model}`\n\n"
            f"{len(X)} light curves; classes: {', '.join(map(str, classes))}.\n")
    if args.model == "features":
        from ._optional import import_optional

        try:
            import_optional("light_curve", "--model features", "features")
        except ImportError as error:
            raise UserError(str(error)) from None
        model = features_pipeline(random_state=args.seed)
        print(f"training features + gradient boosting on {len(X)} light curves", flush=True)
        model.fit(X, y)
    else:
        model = default_pipeline(max_epochs=args.epochs, device=args.device,
                                 random_state=args.seed, verbose=1).fit(X, y)
    with _file_errors(args.out, (ValueError, OSError)):
        save_model(model, args.out, card=card, overwrite=args.overwrite)
    print(f"saved the model to {args.out}")


def _predict(args):
    import pandas as pd

    from .utils import atomic_write

    model_path = Path(args.model)
    _check_output(args, [args.data, args.metadata, model_path if model_path.exists() else None])
    model, _ = _load(args.model)
    X, _ = _read(args)
    _check_not_empty(X, args, "predict")
    proba = pd.DataFrame(model.predict_proba(X), columns=model.classes_,
                         index=pd.Index(X.object_ids, name="object_id"))
    with _file_errors(args.out, OSError), atomic_write(args.out, overwrite=args.overwrite) as out:
        proba.to_csv(out)
    print(f"wrote probabilities of {len(proba)} objects for {proba.shape[1]} classes to {args.out}")


def _info(args):
    model, card = _load(args.model)
    clf = model[-1]
    print(f"steps: {' -> '.join(type(step).__name__ for _, step in model.steps)}")
    print(f"classes ({len(clf.classes_)}): {', '.join(map(str, clf.classes_))}")
    if not hasattr(clf, "module_"):
        print(f"features: {len(model[0].get_feature_names_out())}")
        if card:
            print("\n" + card)
        return
    print(f"input channels: {', '.join(clf.channels_)}; metadata columns: {clf.n_metadata_}")
    print(f"network: GRU {clf.num_layers} x {clf.hidden_size}, "
          f"{sum(p.numel() for p in clf.module_.parameters())} parameters")
    if card:
        print("\n" + card)


def _reproduce(args):
    from ._experiment import reproduce

    for target in args.target or ():
        if target not in ("lsst", "ztf-bts", "plasticc", "bts") and not Path(target).exists():
            raise UserError(f"Target {target!r} is neither lsst, ztf-bts, plasticc, bts nor an "
                            f"existing data file or folder.")
    _check_output(args, [target for target in args.target or () if Path(target).exists()],
                  REPRODUCE_MARKERS)
    reproduce(args.target, mode=args.mode, out=args.out, device=args.device, seed=args.seed,
              n_jobs=args.n_jobs, overwrite=args.overwrite)


def main(argv=None):
    """Entry point of the ``skltransient`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    commands = {"reproduce": _reproduce, "simulate": _simulate, "train": _train,
                "predict": _predict, "info": _info}
    # Only UserError is caught here: library errors become one at the boundary where a file
    # or an argument is handled, so that any other exception (a bug) keeps its traceback.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            commands[args.command](args)
    except UserError as error:
        parser.exit(2, f"skltransient {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
