"""The web CPU section measures "off" twice (an A/A pair): its twin's ratio is the run's noise floor."""

import pytest

from benchmarks import batches
from benchmarks.batches import OFF, OFF_AA, OURS, Variant, with_noise_floor


@pytest.mark.parametrize("name", sorted(batches.SETS))
def test_every_set_gets_off_twice_right_after_off(name):
    variants = with_noise_floor(batches.SETS[name])

    names = [variant.name for variant in variants]
    assert names[names.index(OFF) + 1] == OFF_AA
    assert len(variants) == len(batches.SETS[name]) + 1


def test_the_twin_runs_what_off_runs_and_exports_nothing():
    off = next(variant for variant in batches.MAIN if variant.name == OFF)

    twin = next(variant for variant in with_noise_floor(batches.MAIN) if variant.name == OFF_AA)

    assert twin.env == off.env and not twin.traced
    assert (twin.zero_code, twin.sentry, twin.without) == (off.zero_code, off.sentry, off.without)


def test_the_pair_is_added_once():
    once = with_noise_floor(batches.MAIN)

    assert with_noise_floor(once) == once


def test_a_set_without_off_has_nothing_to_repeat():
    with pytest.raises(ValueError):
        with_noise_floor((Variant(OURS),))
