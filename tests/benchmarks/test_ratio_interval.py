"""The benchmarks' bootstrap interval of a CPU ratio: the ratio of sums, inside an interval that
narrows when the rounds agree (benchmarks/report.py)."""

import random

import pytest

from benchmarks.report import ratio_interval


def rounds(noise: float, *, count: int = 40, seed: int = 1) -> tuple[list[float], list[float]]:
    pick = random.Random(seed)
    baseline = [pick.uniform(8, 16) for _ in range(count)]  # the machine's speed varies by round
    variant = [b * 1.15 * (1 + pick.uniform(-noise, noise)) for b in baseline]
    return variant, baseline


def test_ratio_is_the_ratio_of_sums_and_lies_inside_its_interval():
    variant, baseline = rounds(0.1)

    ratio, low, high = ratio_interval(variant, baseline)

    assert ratio == pytest.approx(sum(variant) / sum(baseline))
    assert low < ratio < high
    assert low < 1.15 < high


def test_interval_narrows_when_the_rounds_agree():
    noisy = ratio_interval(*rounds(0.2))
    steady = ratio_interval(*rounds(0.02))

    assert steady[2] - steady[1] < (noisy[2] - noisy[1]) / 4


def test_rounds_must_pair_up():
    with pytest.raises(ValueError):
        ratio_interval([1.0, 2.0], [1.0])
