"""FID / KID: hand-computed cases, an independent NumPy formulation, the InceptionV3 extractor, evaluate."""

import keras
import numpy as np
import pytest

from tfstyle.errors import WeightsError
from tfstyle.metrics import InceptionDistance, frechet_distance, kernel_inception_distance
from tfstyle.models.pretrained import inception_pool_features


def test_frechet_distance_hand_computed_in_one_dimension():
    # real: mean 1, variance 2 (ddof 1); fake: mean 5, variance 8 -> 4² + 2 + 8 - 2·sqrt(2·8) = 18
    assert frechet_distance([[0.0], [2.0]], [[3.0], [7.0]]) == pytest.approx(18.0)


def test_frechet_distance_against_a_symmetric_square_root(rng):
    real = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    fake = rng.normal(0.5, 2.0, size=(150, 6))
    cov_r, cov_f = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    values, vectors = np.linalg.eigh(cov_r)
    root_r = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    # Tr((Σr Σf)^½) = Tr((Σr^½ Σf Σr^½)^½): the eigenvalues of a symmetric PSD matrix
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(root_r @ cov_f @ root_r), 0, None)).sum()
    expected = ((real.mean(0) - fake.mean(0)) ** 2).sum() + np.trace(cov_r) + np.trace(cov_f) - 2 * trace_root
    assert frechet_distance(real, fake) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(real, real) == pytest.approx(0.0, abs=1e-6)
    # more features than samples: singular covariances still give a finite value
    assert np.isfinite(frechet_distance(rng.normal(size=(10, 32)), rng.normal(size=(12, 32))))


def test_kid_matches_a_direct_double_loop(rng):
    real, fake = rng.normal(size=(7, 4)), rng.normal(1.0, 1.0, size=(7, 4))
    k = lambda a, b: (a @ b / 4 + 1) ** 3  # noqa: E731
    n = 7
    rr = sum(k(real[i], real[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    ff = sum(k(fake[i], fake[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    rf = sum(k(real[i], fake[j]) for i in range(n) for j in range(n)) / (n * n)
    mean, std = kernel_inception_distance(real, fake, subsets=3, subset_size=7)
    assert mean == pytest.approx(rr + ff - 2 * rf) and std == pytest.approx(0.0, abs=1e-9)  # subsets = whole sets


def test_kid_is_unbiased_near_zero_for_one_distribution(rng):
    same, _ = kernel_inception_distance(rng.normal(size=(300, 16)), rng.normal(size=(300, 16)), subsets=20, subset_size=100)
    shifted, _ = kernel_inception_distance(rng.normal(size=(300, 16)), rng.normal(0.7, 1, size=(300, 16)), subsets=20,
                                           subset_size=100)  # fmt: skip
    assert abs(same) < 0.02 < shifted
    with pytest.raises(ValueError, match="at least 2 features"):
        kernel_inception_distance(np.zeros((1, 3)), np.zeros((5, 3)))


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    keras.utils.set_random_seed(5)
    path = tmp_path_factory.mktemp("inception") / "inception_random.weights.h5"
    inception_pool_features(weights=None).save_weights(path)
    return path


def test_inception_distance_from_a_local_weights_file(inception_file, rng):
    distance = InceptionDistance(inception_file, batch_size=3)
    images = rng.uniform(-1, 1, (5, 32, 32, 3)).astype(np.float32)
    distance.update(real=images, fake=images)
    assert distance.features["real"][0].shape == (5, 2048)
    same = distance.result(subsets=2)
    other = InceptionDistance(model=distance.model)
    other.update(real=images, fake=np.full_like(images, -1.0))
    different = other.result(subsets=2)
    # random weights give tiny features (~1e-4), so compare relative to a clearly different set
    assert different["fid"] > 0 and abs(same["fid"]) < 1e-4 * different["fid"]
    assert different["kid"] > 0 and abs(same["kid"]) < 1e-2 * different["kid"]  # unbiased: not exactly 0


def test_offline_inception_weights_give_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))
    with pytest.raises(WeightsError) as info:
        InceptionDistance("imagenet")
    assert "--inception-weights PATH" in str(info.value)
    with pytest.raises(WeightsError, match="weights file not found"):
        InceptionDistance(tmp_path / "missing.h5")


def test_evaluate_reports_fid_and_kid_per_direction(tmp_path, inception_file):
    import tfstyle

    run = tmp_path / "stripes"
    tfstyle.train("cyclegan", run, verbose=0, dataset="synthetic/stripes", image_size=32, ngf=4, ndf=4, n_blocks=1,
                  epochs=1, epochs_decay=0, batch_size=4, count=8, pool_size=2)  # fmt: skip
    results = tfstyle.Run(run).evaluate(split="train", batch_size=4, inception=InceptionDistance(inception_file))
    for key in ("fid_AtoB", "kid_AtoB", "kid_std_AtoB", "fid_BtoA", "kid_BtoA", "cycle_l1_A", "stripe_AtoB"):
        assert np.isfinite(results[key]), key
