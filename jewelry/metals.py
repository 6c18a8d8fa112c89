"""The alloys a customer can order, named once for the shop (orders) and MES (the price table)."""

from django.db import models


class Metal(models.TextChoices):
    GOLD_18K = "gold_18k", "Gold 18k"
    GOLD_14K = "gold_14k", "Gold 14k"
    SILVER_925 = "silver_925", "Sterling silver 925"
    PLATINUM_950 = "platinum_950", "Platinum 950"
