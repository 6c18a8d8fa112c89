"""Each system's tables live in its own database, on the real engines (PostgreSQL in bin/test)."""

import pytest
from django.db import connections

from jewelry.routers import SystemDatabaseRouter
from mes.models import ManufacturingJob, MetalPrice
from shop.models import Order

pytestmark = pytest.mark.django_db(databases=["default", "mes"])


def _tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def test_mes_tables_exist_only_in_the_mes_database():
    shop_tables, mes_tables = _tables("default"), _tables("mes")

    assert {"mes_manufacturingjob", "mes_metalprice", "mes_mesoutbox", "mes_apiclient"} <= mes_tables
    assert not any(table.startswith("mes_") for table in shop_tables)


def test_shop_crm_and_auth_tables_exist_only_in_the_shop_database():
    shop_tables, mes_tables = _tables("default"), _tables("mes")

    assert {"shop_order", "shop_orderstatuschange", "crm_ordernote", "auth_user"} <= shop_tables
    assert not any(table.split("_")[0] in {"shop", "crm", "auth", "django"} and table != "django_migrations"
                   for table in mes_tables)


def test_reads_and_writes_go_to_the_owning_database():
    router = SystemDatabaseRouter()

    assert router.db_for_write(ManufacturingJob) == "mes"
    assert router.db_for_read(MetalPrice) == "mes"
    assert router.db_for_write(Order) == "default"


def test_relations_across_databases_are_refused(customer):
    router = SystemDatabaseRouter()
    order = Order.objects.create(customer=customer)
    job = ManufacturingJob.objects.create(order_id=order.pk, customer_id=customer.pk, metal="gold_18k",
                                          model_key="k")

    assert router.allow_relation(order, job) is False
    assert router.allow_relation(order, customer) is True
    assert ManufacturingJob.objects.db == "mes"
    assert ManufacturingJob.objects.filter(order_id=order.pk).exists()
    assert connections["mes"].vendor == connections["default"].vendor


def test_metal_prices_are_seeded_in_the_mes_database():
    assert set(MetalPrice.objects.values_list("code", flat=True)) >= {"gold_18k", "silver_925"}
