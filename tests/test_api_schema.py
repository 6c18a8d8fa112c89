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


@pytest.mark.django_db
def test_schema_says_the_metal_is_required_and_lists_the_metals(api):
    schema = api(None).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    create_input = schema["components"]["schemas"]["OrderCreateInput"]
    assert create_input["required"] == ["metal"]
    assert schema["components"]["schemas"]["MetalEnum"]["enum"] == ["gold_18k", "gold_14k", "silver_925",
                                                                    "platinum_950"]


@pytest.mark.django_db
def test_schema_documents_every_error_as_code_and_message(api):
    schema = api(None).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    submit = schema["paths"]["/api/v1/shop/orders/{order_id}/submit/"]["post"]["responses"]
    for status in ("404", "409", "500"):
        body = submit[status]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorOutput"}, status
    assert "what must happen first" in submit["409"]["description"]
    assert set(schema["components"]["schemas"]["ErrorOutput"]["required"]) == {"code", "message"}
