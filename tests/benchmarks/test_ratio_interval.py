"""The benchmarks' bootstrap intervals (benchmarks/report.py): of a CPU ratio (the ratio of sums),
and of the median of per-round paired ratios (under gunicorn); both narrow when the rounds agree."""

import random
import statistics

import pytest

from benchmarks.report import bootstrap_interval, median_ratio_interval, ratio_interval


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


def test_median_ratio_is_the_median_of_the_paired_rounds_inside_its_interval():
    variant, baseline = rounds(0.1, count=15)
    per_round = [v / b for v, b in zip(variant, baseline)]

    median, low, high = median_ratio_interval(per_round)

    assert median == pytest.approx(statistics.median(per_round))
    assert min(per_round) <= low <= median <= high <= max(per_round)
    assert low < 1.15 < high


def test_median_ratio_interval_narrows_when_the_rounds_agree():
    noisy = median_ratio_interval([v / b for v, b in zip(*rounds(0.2, count=15))])
    steady = median_ratio_interval([v / b for v, b in zip(*rounds(0.02, count=15))])

    assert steady[2] - steady[1] < (noisy[2] - noisy[1]) / 4


def test_one_round_is_its_own_interval():
    assert median_ratio_interval([1.07]) == (1.07, 1.07, 1.07)


def test_median_ratio_interval_needs_a_round():
    with pytest.raises(ValueError):
        median_ratio_interval([])


def test_bootstrap_is_repeatable_for_a_seed():
    values = [1.0, 1.2, 0.9, 1.1, 1.3]

    assert bootstrap_interval(values, statistics.mean) == bootstrap_interval(values, statistics.mean)
