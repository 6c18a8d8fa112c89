"""Drive orders through the public HTTP APIs, the way the product's users do."""

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(client, order_id: int, content: bytes, name: str = "ring.stl"):
    return client.post(f"/api/v1/shop/orders/{order_id}/model/",
                       {"file": SimpleUploadedFile(name, content)}, format="multipart")


def created_order(client, *, metal: str = "gold_18k") -> int:
    """Create an order (INITIATED, no model yet); returns its id."""
    created = client.post("/api/v1/shop/orders/", {"metal": metal}, format="json")
    assert created.status_code == 201, created.content
    return created.json()["id"]


def submitted_order(client, model: bytes, *, metal: str = "gold_18k", name: str = "ring.stl") -> int:
    """Create an order, upload ``model`` and submit it; returns the order id."""
    order_id = created_order(client, metal=metal)
    uploaded = upload(client, order_id, model, name)
    assert uploaded.status_code == 200, uploaded.content
    submitted = client.post(f"/api/v1/shop/orders/{order_id}/submit/")
    assert submitted.status_code == 202, submitted.content
    return order_id


def operator_steps(client, order_id: int) -> list[int]:
    """Take, complete, pack and ship as one operator; returns the HTTP statuses."""
    return [
        client.post(f"/api/v1/mes/orders/{order_id}/{step}/").status_code
        for step in ("take", "complete", "packaging", "ship")
    ]
