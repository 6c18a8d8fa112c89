"""The OpenAPI schema and its docs page are served and describe every API path."""

import pytest


@pytest.mark.django_db
def test_openapi_schema_lists_the_three_systems(api):
    response = api(None).get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/shop/orders/{order_id}/submit/" in paths
    assert "/api/v1/crm/orders/{order_id}/approve/" in paths
    assert "/api/v1/mes/orders/{order_id}/take/" in paths


@pytest.mark.django_db
def test_docs_page_is_served(api):
    assert api(None).get("/api/docs/").status_code == 200
