from decimal import Decimal

import pytest

from jewelry.errors import InvalidInput
from mes.pricing import price_for, weight_grams

GOLD_18K = Decimal("15.6")


def price(volume_mm3, density, per_gram, labour="0"):
    return price_for(
        volume_mm3=volume_mm3,
        density_g_cm3=Decimal(density),
        price_per_gram=Decimal(per_gram),
        labour_cost=Decimal(labour),
    )


def test_weight_of_one_cubic_centimetre_is_the_density():
    assert weight_grams(volume_mm3=1000.0, density_g_cm3=GOLD_18K) == Decimal("15.6")


def test_weight_keeps_full_precision():
    assert weight_grams(volume_mm3=1234.5678, density_g_cm3=Decimal("10.49")) == Decimal(
        "12.950616222"
    )


def test_price_is_metal_weight_times_price_per_gram_plus_labour():
    assert price(1000.0, "10.5", "2.00", labour="50.00") == Decimal("71.00")


def test_price_is_rounded_half_up_to_the_cent():
    # 0.25 g at 0.10 per gram is 0.025: half a cent rounds up.
    rounded = price(25.0, "10", "0.10")

    assert rounded == Decimal("0.03")
    assert rounded.as_tuple().exponent == -2


def test_only_the_final_price_is_rounded():
    # 0.0044 g would round to 0.00 g on its own; 1000 of them cost 4.40.
    assert price(0.44, "10", "1000") == Decimal("4.40")


def test_float_volume_is_taken_by_its_decimal_repr():
    weight = weight_grams(volume_mm3=0.1, density_g_cm3=Decimal("1"))

    assert weight == Decimal("0.0001")


def test_zero_volume_costs_the_labour_only():
    assert price(0, GOLD_18K, "61.50", labour="120") == Decimal("120.00")


@pytest.mark.parametrize(
    "field, value",
    [
        ("volume_mm3", -1.0),
        ("volume_mm3", float("nan")),
        ("density_g_cm3", Decimal("-1")),
        ("price_per_gram", Decimal("-0.01")),
        ("labour_cost", Decimal("Infinity")),
    ],
)
def test_negative_or_non_finite_inputs_are_refused(field, value):
    arguments = {
        "volume_mm3": 1000.0,
        "density_g_cm3": GOLD_18K,
        "price_per_gram": Decimal("61.50"),
        "labour_cost": Decimal("120"),
        field: value,
    }

    with pytest.raises(InvalidInput) as refusal:
        price_for(**arguments)

    assert refusal.value.code == "invalid_pricing_input"
