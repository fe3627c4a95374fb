import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from skorch.callbacks import Callback

from skltransient import (FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler,
                          TransferClassifier)
from skltransient.transfer._transfer import GROUPS, _adapt_input
from skltransient.utils._testing import make_toy_lightcurves

SMALL = dict(hidden_size=12, num_layers=2, head_size=12, metadata_size=4, random_state=0)


def make_base(representation="observations", **params):
    return make_pipeline(LightCurvePadder(representation), FluxNormalizer(), MetadataScaler(),
                         GRUClassifier(**{**SMALL, "max_epochs": 4, **params}))


@pytest.fixture(scope="module")
def source():
    return make_toy_lightcurves(90, 3, random_state=0)


@pytest.fixture(scope="module")
def target():
    return make_toy_lightcurves(45, 3, random_state=1, bands=("lsstg", "lsstr", "lssti", "lsstz"))


@pytest.fixture(scope="module")
def base(source):
    return make_base().fit(*source)


def state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class RecordStart(Callback):
    """Keep the module's weights and training flags at the start of every fit."""

    starts = []
    modes = []

    def on_train_begin(self, net, **kwargs):
        RecordStart.starts.append(state(net.module_))

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            RecordStart.modes.append((net.module_.encoder.training, net.module_.head.training))


def test_transfer_frozen_unchanged_unfrozen_changed_base_untouched(base, target):
    """Check that frozen parameters stay bitwise, others move, and the base is not modified."""
    before = state(base[-1].module_)
    tuned = TransferClassifier(base, freeze="encoder", max_epochs=3, lr=1e-2, random_state=0).fit(*target)
    after = tuned.classifier_.module_.state_dict()
    for name, value in before.items():
        if name.startswith("encoder."):
            assert torch.equal(after[name], value), name
        else:
            assert not torch.equal(after[name], value), name
        assert torch.equal(base[-1].module_.state_dict()[name], value)
    assert tuned.frozen_parameters_ == [n for n in before if n.startswith("encoder.")]
    assert tuned.classifier_.module_ is not base[-1].module_


@pytest.mark.parametrize("freeze, frozen_prefixes", [
    (None, ()), ("head", ("head.",)), (("encoder", "metadata"), ("encoder.", "metadata.")),
    ("all_but_head", ("encoder.", "metadata.")), ("encoder.*_l0", ("encoder.weight_ih_l0", "encoder.weight_hh_l0",
                                                                    "encoder.bias_ih_l0", "encoder.bias_hh_l0")),
])
def test_transfer_freeze_specifications(base, target, freeze, frozen_prefixes):
    """Check groups, combinations, all_but_head, glob patterns and None."""
    tuned = TransferClassifier(base, freeze=freeze, max_epochs=2, lr=1e-2, random_state=0).fit(*target)
    before, after = state(base[-1].module_), tuned.classifier_.module_.state_dict()
    for name in before:
        frozen = name.startswith(frozen_prefixes) if frozen_prefixes else False
        assert torch.equal(after[name], before[name]) == frozen, name


@pytest.mark.parametrize("freeze", ["encoder", "all_but_head"])
def test_transfer_keeps_attention_pooling_and_freezes_it_with_the_encoder(source, target, freeze):
    """Check that a base with attention pooling transfers with it, and that freezing the encoder
    (the representation) keeps its attention scores fixed too while the head learns."""
    pooled = make_base(pooling="attention").fit(*source)
    tuned = TransferClassifier(pooled, freeze=freeze, max_epochs=2, lr=1e-2,
                               random_state=0).fit(*target)
    module = tuned.classifier_.module_
    assert module.pooling == "attention" and tuned.classifier_.pooling == "attention"
    before, after = state(pooled[-1].module_), module.state_dict()
    for name in ("attention.weight", "attention.bias", "encoder.weight_hh_l1"):
        assert torch.equal(after[name], before[name]), name
    assert not torch.equal(after["head.3.weight"], before["head.3.weight"])
    assert {"attention.weight", "attention.bias"} <= set(tuned.frozen_parameters_)
    assert tuned.predict_proba(target[0]).shape == (len(target[0]), 3)


def test_transfer_frozen_group_runs_in_eval_mode(base, target):
    """Check that a wholly frozen encoder has dropout off while the head trains."""
    RecordStart.modes.clear()
    TransferClassifier(base, freeze="encoder", max_epochs=1, random_state=0,
                       callbacks=[("record", RecordStart())]).fit(*target)
    assert RecordStart.modes and all(m == (False, True) for m in RecordStart.modes)


def test_transfer_unfreeze_at(base, target):
    """Check gradual unfreezing: frozen parameters move only after unfreeze_at."""
    stays = TransferClassifier(base, freeze="encoder", unfreeze_at=3, max_epochs=2, lr=1e-2,
                               random_state=0).fit(*target)
    moves = TransferClassifier(base, freeze="encoder", unfreeze_at=2, max_epochs=2, lr=1e-2,
                               random_state=0).fit(*target)
    w = base[-1].module_.encoder.weight_hh_l1
    assert torch.equal(stays.classifier_.module_.encoder.weight_hh_l1, w)
    assert not torch.equal(moves.classifier_.module_.encoder.weight_hh_l1, w)


def test_transfer_lr_pretrained(base, target):
    """Check that pretrained groups get their own learning rate."""
    tuned = TransferClassifier(base, freeze=None, lr=1e-2, lr_pretrained=1e-4, max_epochs=1).fit(*target)
    lrs = sorted(group["lr"] for group in tuned.classifier_.net_.optimizer_.param_groups)
    assert lrs[0] == 1e-4 and lrs[-1] == 1e-2


def test_transfer_clone_keeps_pretrained_weights_in_grid_search(base, target):
    """Check that every grid-search fit starts from the base model's weights."""
    RecordStart.starts.clear()
    search = GridSearchCV(
        TransferClassifier(base, max_epochs=1, random_state=0, callbacks=[("record", RecordStart())]),
        {"freeze": ["encoder", None], "lr": [1e-3, 1e-2]}, cv=StratifiedKFold(2), error_score="raise")
    search.fit(*target)
    assert len(RecordStart.starts) == 4 * 2 + 1
    reference = state(base[-1].module_)
    for start in RecordStart.starts:
        for name in reference:
            assert torch.equal(start[name], reference[name]), name
    assert clone(search.estimator).estimator is base


def test_transfer_get_params_does_not_reach_into_base(base):
    """Check that parameters cannot be set inside the shared base estimator."""
    params = TransferClassifier(base).get_params(deep=True)
    assert not any(key.startswith("estimator__") for key in params)


def test_transfer_class_subset_superset_and_renaming(base, target):
    """Check that shared classes keep their rows and new classes get fresh ones."""
    X, y = target
    base_head = base[-1].module_.head[-1]
    rows = {c: i for i, c in enumerate(base[-1].classes_)}
    # superset: a new class "KN" in the target
    y_super = y.copy()
    y_super[:5] = "KN"
    tuned = TransferClassifier(base, freeze="all_but_head", max_epochs=0).fit(X, y_super)
    assert tuned.new_classes_ == ["KN"]
    head = tuned.classifier_.module_.head[-1]
    for i, c in enumerate(tuned.classes_):
        if c in rows:
            assert torch.equal(head.weight[i], base_head.weight[rows[c]])
        else:
            assert not torch.equal(head.weight[i], base_head.weight[0])
    # subset: only two of the base classes
    keep = np.isin(y, ["SN Ia", "TDE"])
    subset = TransferClassifier(base, max_epochs=0).fit(X[keep], y[keep])
    np.testing.assert_array_equal(subset.classifier_.module_.head[-1].weight.detach(),
                                  base_head.weight[[rows["SN Ia"], rows["TDE"]]].detach())
    # renaming and merging: SN II and TDE become "other"
    mapping = {"SN II": "other", "TDE": "other"}
    y_renamed = np.array([mapping.get(c, c) for c in y])
    renamed = TransferClassifier(base, class_map=mapping, max_epochs=0).fit(X, y_renamed)
    assert renamed.new_classes_ == []
    other = renamed.classifier_.module_.head[-1].weight[list(renamed.classes_).index("other")]
    expected = (base_head.weight[rows["SN II"]] + base_head.weight[rows["TDE"]]) / 2
    torch.testing.assert_close(other, expected)


def test_transfer_zero_epochs_reproduces_base(base, target):
    """Check that fine-tuning for zero epochs predicts exactly like the base model."""
    X, y = target
    tuned = TransferClassifier(base, max_epochs=0).fit(X, y)
    np.testing.assert_allclose(tuned.predict_proba(X), base.predict_proba(X), rtol=1e-6)


def test_transfer_reset_head(base, target):
    """Check that reset_head=True re-initialises the whole head."""
    tuned = TransferClassifier(base, reset_head=True, freeze="all_but_head", max_epochs=0,
                               random_state=0).fit(*target)
    assert not torch.equal(tuned.classifier_.module_.head[0].weight, base[-1].module_.head[0].weight)
    assert sorted(tuned.new_classes_) == sorted(tuned.classes_.tolist())


def test_transfer_ztf_to_lsst_observation_representation(base, target):
    """Check that a ZTF g,r model reads LSST bands with its own encoder, not a fresh one."""
    X, y = target
    tuned = TransferClassifier(base, freeze="encoder", max_epochs=2, lr=1e-2, random_state=0).fit(X, y)
    assert tuned.classifier_.n_channels_ == base[-1].n_channels_ == 5  # with scale_mag
    fresh = clone(base).set_params(gruclassifier__max_epochs=0).fit(X, y)
    for name, value in base[-1].module_.encoder.state_dict().items():
        assert torch.equal(tuned.classifier_.module_.encoder.state_dict()[name], value), name
        assert not torch.equal(fresh[-1].module_.encoder.state_dict()[name], value), name
    assert not np.allclose(tuned.predict_proba(X), base.predict_proba(X))


def test_transfer_ztf_to_lsst_night_steps_widen_the_bands_and_keep_the_time(source, target):
    """Check that night steps widen like a grid's bands, the time channel keeping its weights."""
    base = make_base("nights").fit(*source)
    tuned = TransferClassifier(base, refit_transformers=["lightcurvepadder"], max_epochs=0).fit(*target)
    assert tuned.classifier_.channels_[-2:] == ("time", "scale_mag")
    assert tuned.classifier_.channels_[:4] == ("flux_lsstg", "flux_lsstr", "flux_lssti", "flux_lsstz")
    old = base[-1].module_.encoder.weight_ih_l0
    new = tuned.classifier_.module_.encoder.weight_ih_l0
    assert old.shape[1] == 6 and new.shape == (old.shape[0], 10)
    torch.testing.assert_close(new[:, 8], old[:, 4])  # time
    torch.testing.assert_close(new[:, 9], old[:, 5])  # brightness
    torch.testing.assert_close(new[:, 0], old[:, 0])  # g <- ztfg


def test_transfer_ztf_to_lsst_grid_widens_input(source, target):
    """Check that the grid's new band channels start from the nearest trained band."""
    base = make_base("grid").fit(*source)
    tuned = TransferClassifier(base, refit_transformers=["lightcurvepadder"], max_epochs=0).fit(*target)
    assert tuned.classifier_.channels_ == ("flux_lsstg", "flux_lsstr", "flux_lssti", "flux_lsstz",
                                           "flux_err_lsstg", "flux_err_lsstr", "flux_err_lssti",
                                           "flux_err_lsstz", "scale_mag")
    old = base[-1].module_.encoder.weight_ih_l0
    new = tuned.classifier_.module_.encoder.weight_ih_l0
    assert new.shape == (old.shape[0], 9)
    # g <- ztfg alone; r, i, z <- ztfr (nearest), sharing its weights three ways
    torch.testing.assert_close(new[:, 0], old[:, 0])
    for column in (1, 2, 3):
        torch.testing.assert_close(new[:, column], old[:, 1] / 3)
    torch.testing.assert_close(new[:, 8], old[:, 4])  # the brightness channel, as it was
    assert tuned.predict_proba(target[0]).shape == (45, 3)
    with pytest.warns(UserWarning, match="not among the grid's bands"):
        TransferClassifier(base, max_epochs=0).fit(*target)


def test_transfer_five_examples_per_class(base, target):
    """Check fine-tuning on 5 labels per class with a validation split, from pretrained weights."""
    X, y = target
    index = np.concatenate([np.flatnonzero(y == c)[:5] for c in np.unique(y)])
    RecordStart.starts.clear()
    tuned = TransferClassifier(base, validation_fraction=0.2, max_epochs=3, random_state=0,
                               callbacks=[("record", RecordStart())]).fit(X[index], y[index])
    assert tuned.n_epochs_ >= 1
    assert torch.equal(RecordStart.starts[0]["encoder.weight_ih_l0"], base[-1].module_.encoder.weight_ih_l0)
    one = index[[0, 5, 6, 10, 11]]
    with pytest.warns(UserWarning, match="smallest class has 1 examples"):
        TransferClassifier(base, validation_fraction=0.2, max_epochs=1).fit(X[one], y[one])


def test_transfer_reproducible_and_picklable(base, target):
    """Check bitwise reproducibility with a seed and identical output after pickling."""
    X, y = target
    a = TransferClassifier(base, freeze=None, max_epochs=2, random_state=3).fit(X, y)
    b = TransferClassifier(base, freeze=None, max_epochs=2, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).predict_proba(X), a.predict_proba(X))


def test_transfer_refit_metadata_scaler(base, target):
    """Check that named transformers are refitted on the target and others reused."""
    tuned = TransferClassifier(base, refit_transformers=["metadatascaler"], max_epochs=0).fit(*target)
    assert tuned.transformers_[0].channels_ == base[0].channels_
    np.testing.assert_array_equal(tuned.transformers_[:2].transform(target[0]).values,
                                  base[:2].transform(target[0]).values)
    assert not np.allclose(tuned.transformers_[2].mean_, base[2].mean_)


def test_transfer_bare_classifier_base(source):
    """Check transfer from a GRUClassifier fitted on padded input."""
    X, y = source
    prep = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler()).fit(X)
    Xp = prep.transform(X)
    bare = GRUClassifier(**SMALL, max_epochs=1).fit(Xp, y)
    tuned = TransferClassifier(bare, max_epochs=0).fit(Xp[:30], y[:30])
    assert tuned.transformers_ is None
    np.testing.assert_array_equal(tuned.predict_proba(Xp), bare.predict_proba(Xp))


def test_transfer_errors(base, target, source):
    """Check the errors for bad bases, freezes, class maps and metadata widths."""
    X, y = target
    with pytest.raises(ValueError, match="matches no parameter"):
        TransferClassifier(base, freeze="decoder").fit(X, y)
    with pytest.raises(ValueError, match="freezes every parameter.*unfreeze_at=3"):
        TransferClassifier(base, freeze=GROUPS, unfreeze_at=3, max_epochs=2).fit(X, y)
    TransferClassifier(base, freeze=GROUPS, max_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="class_map names base classes \\['SN Iax'\\]"):
        TransferClassifier(base, class_map={"SN Iax": "SN Ia"}).fit(X, y)
    with pytest.raises(ValueError, match="is not fitted"):
        TransferClassifier(make_base()).fit(X, y)
    with pytest.raises(ValueError, match="refit_transformers names steps \\['padder'\\]"):
        TransferClassifier(base, refit_transformers=["padder"]).fit(X, y)
    other = make_pipeline(LightCurvePadder(metadata_columns=("redshift",)), FluxNormalizer(),
                          MetadataScaler()).fit(*source)
    hybrid = Pipeline(other.steps + [base.steps[-1]])
    with pytest.raises(ValueError, match=r"columns \['redshift', 'missing_redshift'\] but the base "
                       r"model was trained with 4 columns.*missing \['mwebv', 'missing_mwebv'\]"):
        TransferClassifier(hybrid, max_epochs=1).fit(X, y)


# ------------------------------------------------- issue 10: no silent wrong result
def test_transfer_set_params_refuses_estimator_params(base):
    """Check that set_params refuses parameters inside the pretrained estimator, as FrozenEstimator does."""
    tuned = clone(TransferClassifier(base))
    with pytest.raises(ValueError, match="estimator__gruclassifier__lr.*estimator__lightcurvepadder"):
        tuned.set_params(estimator__gruclassifier__lr=0.5, estimator__lightcurvepadder__max_length=3)
    assert base[-1].lr == 3e-3 and base[0].max_length is None
    other = make_base()
    assert tuned.set_params(estimator=other, lr=0.1) is tuned
    assert tuned.estimator is other and tuned.lr == 0.1


def test_transfer_grid_search_over_estimator_params_refused(base, target):
    """Check that a search over estimator__ parameters fails instead of changing the base model."""
    X, y = target
    before = base.predict_proba(X)
    search = GridSearchCV(TransferClassifier(base, max_epochs=0),
                          {"estimator__gruclassifier__lr": [0.5]}, cv=StratifiedKFold(2),
                          error_score="raise")
    with pytest.raises(ValueError, match="pretrained estimator"):
        search.fit(X, y)
    assert base[-1].lr == 3e-3
    np.testing.assert_array_equal(base.predict_proba(X), before)


def test_transfer_transformers_are_not_shared_with_base(base, target):
    """Check that transformers_ are copies: writing through them leaves the base unchanged."""
    tuned = TransferClassifier(base, max_epochs=0).fit(*target)
    for (_, step), (_, original) in zip(tuned.transformers_.steps, base.steps[:-1]):
        assert step is not original and type(step) is type(original)
    mean = base[2].mean_.copy()
    tuned.transformers_.set_params(lightcurvepadder__max_length=3)
    tuned.transformers_[2].mean_[:] = 123.0
    assert base[0].max_length is None
    np.testing.assert_array_equal(base[2].mean_, mean)


def test_transfer_fit_releases_frozen_parameters(base, target):
    """Check that after fit, and after pickling, no parameter is left frozen nor group in eval mode."""
    tuned = TransferClassifier(base, freeze="encoder", max_epochs=1, random_state=0).fit(*target)
    for model in (tuned, pickle.loads(pickle.dumps(tuned))):
        module = model.classifier_.module_
        assert all(p.requires_grad for p in module.parameters())
        assert module.eval_groups == ()
    assert all(p.requires_grad for p in base[-1].module_.parameters())


def test_transfer_of_transfer_fine_tunes_encoder(base, target):
    """Check that a fitted TransferClassifier is a valid base and freeze=None then trains its encoder."""
    first = TransferClassifier(base, freeze="encoder", max_epochs=1, random_state=0).fit(*target)
    second = TransferClassifier(first, freeze=None, max_epochs=2, lr=1e-2, random_state=0).fit(*target)
    before = first.classifier_.module_.encoder.weight_hh_l1
    assert not torch.equal(second.classifier_.module_.encoder.weight_hh_l1, before)
    zero = TransferClassifier(first, max_epochs=0).fit(*target)
    np.testing.assert_allclose(zero.predict_proba(target[0]), first.predict_proba(target[0]), rtol=1e-6)


def test_adapt_input_keeps_existing_channels_bitwise():
    """Check that channels the base knows keep their input weights bit for bit, new ones start from the nearest band."""
    gru = torch.nn.GRU(4, 3, num_layers=2, batch_first=True)
    old = gru.weight_ih_l0.detach()
    base_channels = ["flux_ztfg", "flux_ztfr", "flux_err_ztfg", "flux_err_ztfr"]
    target = ["flux_ztfr", "flux_ztfg", "flux_ztfi", "flux_err_ztfg", "flux_err_ztfr", "flux_err_ztfi"]
    new = _adapt_input(gru, base_channels, target).weight_ih_l0.detach()
    assert new.shape == (old.shape[0], 6)
    for column, channel in enumerate(target):
        source = channel.replace("ztfi", "ztfr")
        assert torch.equal(new[:, column], old[:, base_channels.index(source)]), channel
    assert torch.equal(gru.weight_ih_l0.detach(), old)


def test_transfer_ztf_grid_to_more_bands_keeps_predictions_of_known_bands(source):
    """Check that at zero epochs the known bands' input weights equal the base's bitwise."""
    base = make_base("grid").fit(*source)
    X, y = make_toy_lightcurves(45, 3, random_state=1, bands=("ztfg", "ztfr", "ztfi"))
    tuned = TransferClassifier(base, refit_transformers=["lightcurvepadder"], max_epochs=0).fit(X, y)
    old = base[-1].module_.encoder.weight_ih_l0
    new = tuned.classifier_.module_.encoder.weight_ih_l0
    channels = tuned.classifier_.channels_
    for channel in base[-1].channels_:
        assert torch.equal(new[:, channels.index(channel)], old[:, base[-1].channels_.index(channel)])
    assert torch.equal(new[:, channels.index("flux_ztfi")], old[:, base[-1].channels_.index("flux_ztfr")])


def test_transfer_classifier_follows_base_parameters(source, target):
    """Check that classifier_ inherits every base parameter it does not set, and classifier_params override."""
    base = make_base(weight_decay=0.1, dropout=0.3, prefix_augmentation=0.5, optimizer="adamw",
                     predict_batch_size=7).fit(*source)
    tuned = TransferClassifier(base, max_epochs=1, lr=0.02, random_state=0).fit(*target)
    clf = tuned.classifier_
    assert (clf.weight_decay, clf.dropout, clf.prefix_augmentation, clf.optimizer,
            clf.predict_batch_size) == (0.1, 0.3, 0.5, "adamw", 7)
    assert (clf.lr, clf.max_epochs, clf.random_state) == (0.02, 1, 0)
    assert isinstance(clf.net_.optimizer_, torch.optim.AdamW)
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.1
    override = TransferClassifier(base, max_epochs=1, random_state=0,
                                  classifier_params={"weight_decay": 0.0, "dropout": 0.0,
                                                     "optimizer": "sgd"}).fit(*target)
    clf = override.classifier_
    assert (clf.weight_decay, clf.dropout, clf.optimizer, clf.prefix_augmentation) == (0.0, 0.0, "sgd", 0.5)
    assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
    dropouts = [m.p for m in clf.module_.modules() if isinstance(m, torch.nn.Dropout)]
    assert dropouts and all(p == 0.0 for p in dropouts) and clf.module_.encoder.dropout == 0.0
    assert base[-1].dropout == 0.3 and base[-1].module_.encoder.dropout == 0.3


class CustomGRUClassifier(GRUClassifier):
    """A user's subclass of GRUClassifier."""


def test_transfer_classifier_keeps_base_class(source, target):
    """Check that classifier_ is a clone of the base classifier, of its class, not a new GRUClassifier."""
    X, y = source
    prep = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler()).fit(X)
    base = CustomGRUClassifier(**SMALL, max_epochs=1).fit(prep.transform(X), y)
    tuned = TransferClassifier(base, max_epochs=1).fit(prep.transform(target[0]), target[1])
    assert type(tuned.classifier_) is CustomGRUClassifier


def test_transfer_classifier_params_errors(base, target):
    """Check that classifier_params refuses architecture, own and unknown parameters by name."""
    X, y = target
    with pytest.raises(ValueError, match="'hidden_size'.*architecture"):
        TransferClassifier(base, classifier_params={"hidden_size": 3}).fit(X, y)
    with pytest.raises(ValueError, match="'lr'.*TransferClassifier's own"):
        TransferClassifier(base, classifier_params={"lr": 0.1}).fit(X, y)
    with pytest.raises(ValueError, match="'colour'"):
        TransferClassifier(base, classifier_params={"colour": "red"}).fit(X, y)
    with pytest.raises(ValueError, match="weight_decay"):
        TransferClassifier(base, classifier_params={"weight_decay": -1.0}).fit(X, y)


def test_transfer_best_epoch(base, target, scripted_valid_loss):
    """Check that best_epoch_ is the epoch of the best validation loss, n_epochs_ without validation."""
    X, y = target
    tuned = TransferClassifier(base, validation_fraction=0.3, n_iter_no_change=3, max_epochs=30,
                               random_state=0, callbacks=scripted_valid_loss).fit(X, y)
    assert tuned.best_epoch_ == tuned.classifier_.best_epoch_ == 3
    assert tuned.n_epochs_ == 6
    plain = TransferClassifier(base, max_epochs=2).fit(X, y)
    assert plain.best_epoch_ == plain.n_epochs_ == 2


def test_transfer_refuses_other_metadata_columns(base, target):
    """Check that target metadata in other columns than the base's is refused by name."""
    Xt, yt = target
    padded = base[:-1].transform(Xt)
    names = list(padded.metadata_names)
    swapped = padded.replace(metadata=padded.metadata[:, [1, 0, 2, 3]],
                             metadata_names=tuple([names[1], names[0], *names[2:]]))
    with pytest.raises(ValueError, match=r"metadata columns.*redshift.*another order"):
        TransferClassifier(base[-1], max_epochs=1).fit(swapped, yt)


def test_transfer_default_fine_tunes_every_layer(base, target):
    """Check the default (freeze=None, measured best in reproduce --quick) trains the encoder too."""
    X, y = target
    assert TransferClassifier(base).freeze is None
    tuned = TransferClassifier(base, max_epochs=2, lr=1e-2, random_state=0).fit(X, y)
    before = base[-1].module_.encoder.weight_ih_l0
    assert not torch.equal(tuned.classifier_.module_.encoder.weight_ih_l0, before)


def test_transfer_keeps_the_long_light_curve_inputs(source, target):
    """Check that fine-tuning a base with the gap channel, snr scaling and the trigger-start loss keeps them, and pickles."""
    base = make_pipeline(LightCurvePadder(gap_channel=True), FluxNormalizer("snr"), MetadataScaler(),
                         GRUClassifier(**SMALL, max_epochs=2, sequence_loss_from="trigger")).fit(*source)
    tuned = TransferClassifier(base, max_epochs=2, random_state=0).fit(*target)
    padder, normalizer = tuned.transformers_[0], tuned.transformers_[1]
    assert padder.channels_[-1] == "log_gap" and normalizer.method == "snr"
    assert tuned.classifier_.sequence_loss_from == "trigger"
    assert tuned.classifier_.n_channels_ == base[-1].n_channels_  # the base's input width
    X, _ = target
    again = pickle.loads(pickle.dumps(tuned))
    np.testing.assert_array_equal(again.predict_proba(X), tuned.predict_proba(X))
