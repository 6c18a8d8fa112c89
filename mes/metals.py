"""The starting metal price table (density g/cm3, EUR per gram, labour EUR); editable in the admin."""

from decimal import Decimal

from jewelry.metals import Metal
from jewelry.routers import MES_DB

DEFAULT_METAL_PRICES = {
    Metal.GOLD_18K: ("15.500", "62.00", "120.00"),
    Metal.GOLD_14K: ("13.100", "48.00", "110.00"),
    Metal.SILVER_925: ("10.360", "1.10", "60.00"),
    Metal.PLATINUM_950: ("20.700", "38.00", "150.00"),
}


def seed_metal_prices(metal_price_model, *, using: str = MES_DB) -> None:
    """Create the missing rows of the default table (existing prices are left as they are)."""
    for code, (density, per_gram, labour) in DEFAULT_METAL_PRICES.items():
        metal_price_model.objects.using(using).get_or_create(
            code=code,
            defaults={"density_g_cm3": Decimal(density), "price_per_gram": Decimal(per_gram),
                      "labour_cost": Decimal(labour)},
        )
