"""Under gunicorn, each variant's ratio to "off" of the same round gets its interval in the note."""

from benchmarks.overhead import add_interval_note
from benchmarks.report import Figure


def test_the_note_gives_the_median_paired_ratio_and_its_interval():
    figure = Figure("web overhead", "ours", "gunicorn CPU per request", "ms", values=[5.0, 5.1, 4.9],
                    ratios=[1.10, 1.05, 1.20])

    add_interval_note(figure)

    assert figure.note.startswith("ratio 1.100 [")
    assert "median of 3 paired rounds, 95% bootstrap" in figure.note


def test_an_earlier_note_is_kept():
    figure = Figure("web overhead", "ours", "throughput", "req/s", values=[90.0], ratios=[0.95],
                    note="2 failed requests, e.g. 502")

    add_interval_note(figure)

    assert figure.note == ("2 failed requests, e.g. 502; "
                           "ratio 0.950 [0.950-0.950] (median of 1 paired round, 95% bootstrap)")


def test_off_itself_gets_no_ratio_note():
    figure = Figure("web overhead", "off", "throughput", "req/s", values=[100.0])

    add_interval_note(figure)

    assert figure.note == ""
