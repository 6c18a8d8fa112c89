"""Price of a cast piece from its measured volume: metal weight times price, plus labour."""

from decimal import ROUND_HALF_UP, Decimal

from jewelry.errors import InvalidInput

CENT = Decimal("0.01")
_MM3_PER_CM3 = Decimal(1000)


def weight_grams(*, volume_mm3: float, density_g_cm3: Decimal) -> Decimal:
    """Metal weight of a piece, unrounded: volume in cm3 times the alloy's density."""
    volume = _non_negative_decimal(volume_mm3, "volume_mm3")
    density = _non_negative_decimal(density_g_cm3, "density_g_cm3")
    return volume / _MM3_PER_CM3 * density


def price_for(
    *,
    volume_mm3: float,
    density_g_cm3: Decimal,
    price_per_gram: Decimal,
    labour_cost: Decimal,
) -> Decimal:
    """Price of casting a piece, rounded half-up to the cent.

    Only the final price is rounded, so the weight keeps its full precision.
    """
    weight = weight_grams(volume_mm3=volume_mm3, density_g_cm3=density_g_cm3)
    metal = weight * _non_negative_decimal(price_per_gram, "price_per_gram")
    price = metal + _non_negative_decimal(labour_cost, "labour_cost")
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


def _non_negative_decimal(value: float | Decimal, name: str) -> Decimal:
    # str() first: Decimal(0.1) would carry the float's binary expansion.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or number < 0:
        raise InvalidInput(f"{name} must be a finite, non-negative number.", code="invalid_pricing_input")
    return number
