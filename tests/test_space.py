"""Input spaces: shapes, buckets and value regimes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import derivcheck as dc
from derivcheck._space import EXTREME_REGIMES

SPACE = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"),
                 y=dc.labels("N", classes="K"), b=dc.binary("N"), p=dc.simplex("K"),
                 lam=dc.positive(), w=dc.real("D", nonzero=True))


@given(bucket=st.integers(0, 5), seed=st.integers(0, 2**32 - 1))
def test_every_drawn_input_has_its_declared_kind(bucket, seed):
    dims = SPACE.bucket(bucket)
    batch = SPACE.draw(dims, seed=seed, size=len(EXTREME_REGIMES), regimes=EXTREME_REGIMES)
    n, d, k = dims["N"], dims["D"], dims["K"]
    assert batch["W"].shape[1:] == (d, k)
    assert np.all(batch["Y"].sum(-1) == 1) and set(np.unique(batch["Y"])) <= {0.0, 1.0}
    assert batch["y"].dtype == np.int64 and np.all((batch["y"] >= 0) & (batch["y"] < k))
    assert set(np.unique(batch["b"])) <= {0.0, 1.0}
    assert np.allclose(batch["p"].sum(-1), 1) and np.all(batch["p"] > 0)
    assert np.all(batch["lam"] > 0)
    assert np.all(batch["w"] != 0)
    assert batch["X"].shape[1:] == (n, d)
    for v in batch.values():
        assert np.all(np.isfinite(v))


def test_class_dimensions_start_at_two_and_bucket_zero_is_smallest():
    assert SPACE.bucket(0) == {"D": 1, "K": 2, "N": 1}
    assert all(SPACE.bucket(i)["K"] >= 2 for i in range(6))


def test_a_class_dimension_below_two_is_rejected():
    with pytest.raises(dc.SpaceError, match="at least 2"):
        dc.Space(Y=dc.one_hot("N K"), dims={"K": 1})


def test_real_arrays_are_not_mostly_one_repeated_value():
    space = dc.Space(X=dc.real("N D"), dims={"N": 8, "D": 8})
    batch = space.draw(space.bucket(3), seed=1, size=64, regimes=EXTREME_REGIMES)
    for x in batch["X"]:
        _, counts = np.unique(x, return_counts=True)
        assert counts.max() <= 0.5 * x.size


def test_the_repeated_value_check_would_catch_a_constant_array():
    x = np.zeros((8, 8))
    _, counts = np.unique(x, return_counts=True)
    assert counts.max() > 0.5 * x.size


def test_same_seed_draws_the_same_batch_and_another_seed_does_not():
    a = SPACE.draw(SPACE.bucket(2), seed=3, size=16)
    b = SPACE.draw(SPACE.bucket(2), seed=3, size=16)
    c = SPACE.draw(SPACE.bucket(2), seed=4, size=16)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)


def test_a_second_part_of_a_seed_is_another_batch_that_reproduces():
    a = SPACE.draw(SPACE.bucket(2), seed=3, size=16, part=1)
    b = SPACE.draw(SPACE.bucket(2), seed=3, size=16, part=1)
    c = SPACE.draw(SPACE.bucket(2), seed=3, size=16)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not any(np.array_equal(a[k], c[k]) for k in ("W", "X", "lam", "p"))


def _looks_like(regime, x):
    return {
        "integers": np.array_equal(x, np.round(x)) and np.abs(x).max() <= 4,
        "large": np.abs(x).max() > 50,
        "zeros": np.count_nonzero(x == 0) >= 0.1 * x.size,
        "tiny": 0 < np.abs(x).max() < 1e-6,
    }[regime]


@pytest.mark.parametrize("regime", ["integers", "large", "zeros", "tiny"])
def test_each_example_follows_the_regime_at_its_position(regime):
    space = dc.Space(X=dc.real("N D"), dims={"N": 8, "D": 8})
    batch = space.draw(space.bucket(0), seed=2, size=32, regimes=EXTREME_REGIMES)
    n = len(EXTREME_REGIMES)
    at = [i for i in range(32) if EXTREME_REGIMES[i % n] == regime]
    assert all(_looks_like(regime, batch["X"][i]) for i in at)
    moderate = [i for i in range(32) if EXTREME_REGIMES[i % n] == "moderate"]
    assert not any(_looks_like(regime, batch["X"][i]) for i in moderate)  # the failing twin


def test_a_dimension_too_large_for_memory_is_refused_saying_what_to_change():
    with pytest.raises(dc.SpaceError) as err:
        dc.Space(x=dc.real("N"), dims={"N": (1, 10**9)})
    msg = str(err.value)
    assert "dimension N up to 1000000000" in msg and "8 GB" in msg
    assert "keep every dimension ≤ 4096" in msg


def test_an_input_too_large_in_total_is_refused_even_when_each_dimension_is_allowed():
    with pytest.raises(dc.SpaceError, match=r"dimensions 'N D K' up to 512 × 512 × 512 would "
                       r"make input 'X' of 1.07 GB per example"):
        dc.Space(X=dc.real("N D K"), dims={"N": 512, "D": 512, "K": 512})


def test_a_large_but_sane_dimension_is_accepted_and_drawn():
    space = dc.Space(x=dc.real("N"), dims={"N": (1, 4096)})
    batch = space.draw({"N": 4096}, seed=0, size=2)
    assert batch["x"].shape == (2, 4096)


def test_the_calm_version_of_a_batch_is_moderate_and_keeps_nonzero_inputs_off_zero():
    space = dc.Space(x=dc.real("D"), w=dc.real("D", nonzero=True), lam=dc.positive(),
                     y=dc.one_hot("D"))
    batch = space.draw({"D": 4}, seed=5, size=64, regimes=EXTREME_REGIMES)
    calm = space.calm(batch)
    assert np.abs(calm["x"]).max() <= 0.5 and np.all(calm["w"] != 0)
    assert calm["lam"].min() >= 0.1 and calm["lam"].max() <= 1.0
    assert np.array_equal(calm["y"], batch["y"])
    assert space.magnitude({k: v[0] for k, v in calm.items()}) <= 1.0


def test_drawn_batches_are_not_calm_so_the_calm_test_can_fail():
    space = dc.Space(x=dc.real("D"), lam=dc.positive())
    batch = space.draw({"D": 4}, seed=5, size=64, regimes=EXTREME_REGIMES)
    assert np.abs(batch["x"]).max() > 0.5 and batch["lam"].max() > 1.0
    assert max(space.magnitude({k: v[i] for k, v in batch.items()}) for i in range(64)) > 1.0


def test_scaling_moves_only_real_inputs():
    space = dc.Space(x=dc.real("D"), lam=dc.positive())
    x = {"x": np.array([2.0, -4.0]), "lam": np.array(3.0)}
    out = space.scaled(x, 0.5)
    assert np.array_equal(out["x"], [1.0, -2.0]) and out["lam"] == 3.0
    assert not np.array_equal(space.scaled(x, 2.0)["x"], x["x"])


def test_only_real_positive_and_simplex_inputs_are_differentiable():
    assert all(i.differentiable for i in (dc.real("D"), dc.positive(), dc.simplex("K")))
    assert not any(i.differentiable for i in (dc.one_hot("K"), dc.labels("N", classes="K"),
                                              dc.binary("N")))


def _list_proof(tmp_path, dims):
    from click.testing import CliRunner

    from derivcheck.cli import main

    f = tmp_path / "sizes.py"
    f.write_text("import derivcheck as dc\n"
                 f"S = dc.Space(x=dc.real('N'), dims={{'N': {dims}}})\n"
                 "g = dc.gradient(lambda x: (x ** 2).sum(), lambda x: 2 * x, space=S, wrt='x')\n")
    return CliRunner().invoke(main, ["list", str(f)], catch_exceptions=False)


def test_a_proof_file_with_a_huge_dimension_is_a_load_error_saying_what_to_fix(tmp_path):
    res = _list_proof(tmp_path, "(1, 10**9)")
    assert res.exit_code == 2
    assert "sizes.py: line 2: SpaceError" in res.output
    assert "keep every dimension ≤ 4096" in res.output and "itself failed" not in res.output


def test_a_proof_file_with_a_large_but_sane_dimension_lists_its_claim(tmp_path):
    res = _list_proof(tmp_path, "(1, 4096)")
    assert res.exit_code == 0 and "sizes.py::g" in res.output


def _scored_candidates(seed):
    from derivcheck import _shrink

    space = dc.Space(W=dc.real("D K"), X=dc.real("N D"), Y=dc.one_hot("N K"), lam=dc.positive())
    batch = space.draw({"D": 3, "K": 4, "N": 5}, seed=seed, size=1)
    x = {k: np.array(v[0]) for k, v in batch.items()}
    cands = _shrink._candidates(space, x)
    score = _shrink._Scorer(space)
    return space, cands, [score(c) for c in cands]


def test_the_shrinkers_memoized_score_is_the_simplicity_of_every_candidate():
    from derivcheck import _shrink

    space, cands, scores = _scored_candidates(seed=3)
    assert scores == [_shrink.simplicity(space, c) for c in cands]


def test_the_scores_tell_the_candidates_apart():  # the twin: the comparison can fail
    from derivcheck import _shrink

    space, cands, scores = _scored_candidates(seed=3)
    assert scores != [_shrink.simplicity(space, cands[0]) for _ in cands]


# -- a shrunk counterexample stays in its kind -------------------------------------------

def _shrunk_where_small_entries_fail(nonzero: bool) -> np.ndarray:
    """A failure wherever the first entry is small but not 0 (a formula wrong near 0),
    shrunk from a = [0.01]."""
    from derivcheck._shrink import shrink

    space = dc.Space(a=dc.real("D", nonzero=nonzero), dims={"D": 1})

    def still_fails(cands):
        return np.array([0 < abs(c["a"][0]) < 0.02 for c in cands])

    return shrink(space, {"a": np.array([0.01])}, still_fails)["a"]


def test_a_nonzero_input_shrinks_no_nearer_zero_than_it_is_drawn():
    a = _shrunk_where_small_entries_fail(nonzero=True)
    assert np.all(np.abs(a) >= 1e-3), a


def test_a_plain_real_input_shrinks_below_that_toward_zero():  # the twin
    a = _shrunk_where_small_entries_fail(nonzero=False)
    assert 0 < abs(a[0]) < 1e-3, a
