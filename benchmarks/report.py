"""Figures and the final table: every figure is a median over runs, with its spread and run count."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Figure:
    """One line of the table: a metric of one variant measured once per run."""

    section: str
    variant: str
    metric: str
    unit: str
    values: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # paired with the baseline's run of the same round
    note: str = ""
    runs: int | None = None  # when ``values`` are a summary of the runs rather than one value per run

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cells(self) -> list[str]:
        spread = f"{_number(min(self.values))} - {_number(max(self.values))}" if len(self.values) > 1 else "-"
        ratio = f"{statistics.median(self.ratios):.3f}" if self.ratios else ""
        return [self.section, self.variant, f"{self.metric} ({self.unit})", _number(self.median), spread,
                ratio, str(self.runs or len(self.values)), self.note]


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


HEADERS = ["benchmark", "variant", "metric", "median", "spread (min - max)", "ratio", "runs", "note"]


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model or platform.machine()}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def load_average() -> str:
    """Other programs on the machine move every wall-clock figure: say how busy it was."""
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg()) + " (1/5/15 min)"


def table(figures: list[Figure]) -> str:
    """A Markdown table, so that the README can show the output as it is."""
    rows = [HEADERS] + [figure.cells() for figure in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def bootstrap_interval(items: list, statistic, *, resamples: int = 4000, confidence: float = 0.95,
                       seed: int = 14) -> tuple[float, float, float]:
    """``statistic(items)``, with a bootstrap interval: ``items`` resampled whole, with replacement."""
    import random

    if not items:
        raise ValueError("a bootstrap interval needs at least one item")
    pick = random.Random(seed).choices
    estimates = [statistic(pick(items, k=len(items))) for _ in range(resamples)]
    tail = (1 - confidence) / 2
    return statistic(items), percentile(estimates, tail), percentile(estimates, 1 - tail)


def ratio_interval(variant: list[float], baseline: list[float], *, resamples: int = 4000,
                   confidence: float = 0.95, seed: int = 14) -> tuple[float, float, float]:
    """sum(variant) / sum(baseline) over paired rounds, with a bootstrap interval (rounds resampled).

    Rounds are resampled whole, so a round the machine was slow for weighs on both sides alike.
    """
    if len(variant) != len(baseline) or not variant:
        raise ValueError("ratio_interval needs the same, non-zero number of rounds on both sides")
    return bootstrap_interval(list(zip(variant, baseline)),
                              lambda pairs: sum(v for v, _ in pairs) / sum(b for _, b in pairs),
                              resamples=resamples, confidence=confidence, seed=seed)


def median_ratio_interval(ratios: list[float], *, resamples: int = 4000, confidence: float = 0.95,
                          seed: int = 14) -> tuple[float, float, float]:
    """The median of per-round paired ratios (a variant over the baseline's run of the same round),
    with a bootstrap interval over the rounds.

    For figures that are not sums over a round (latency percentiles, a rate): each round's ratio
    already cancels what the machine did to that round; the median keeps one odd round from
    moving the figure. With few rounds the interval is wide, and says so.
    """
    if not ratios:
        raise ValueError("median_ratio_interval needs at least one round")
    return bootstrap_interval(list(ratios), statistics.median, resamples=resamples, confidence=confidence,
                              seed=seed)


def interval_text(ratio: tuple[float, float, float]) -> str:
    return f"{ratio[0]:.3f} [{ratio[1]:.3f}-{ratio[2]:.3f}]"
