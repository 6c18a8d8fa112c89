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


def _measured(cpu_per_batch: list[float]) -> batches.Measured:
    marks = [0.0]
    for cpu in cpu_per_batch:
        marks.append(marks[-1] + cpu)
    return batches.Measured(cpu_marks=marks, walls=[1.0] * len(cpu_per_batch), requests=[100] * len(cpu_per_batch))


def test_the_a_a_row_is_labelled_and_others_are_also_set_against_ours():
    off = [1.0, 1.2, 0.9, 1.1]
    measured = {OFF: _measured(off), OFF_AA: _measured(off), OURS: _measured([c * 1.1 for c in off]),
                batches.SENTRY: _measured([c * 1.2 for c in off])}

    notes = {figure.variant: figure.note for figure in batches._figures(measured, rounds=4, flows=20)
             if figure.metric == "CPU per request"}

    assert "CPU ratio 1.000 [1.000-1.000]" in notes[OFF_AA] and "noise floor" in notes[OFF_AA]
    assert "/ ours" not in notes[OURS]
    assert "/ ours 1.091 [1.091-1.091]" in notes[batches.SENTRY]
