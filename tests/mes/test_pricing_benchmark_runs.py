from benchmarks.pricing import OURS, TRIMESH, format_table, run


def test_pricing_benchmark_times_both_implementations():
    rows = run(triangles=2000, runs=1)

    assert [row["implementation"] for row in rows] == [OURS, TRIMESH]
    for row in rows:
        assert row["triangles"] > 1000
        assert row["runs"] == 1
        assert 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
    assert "trimesh / ours" in format_table(rows)
