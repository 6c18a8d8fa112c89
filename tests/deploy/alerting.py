"""Rendering deploy/alertmanager/alertmanager.yml the way compose does: its two URL placeholders."""

from .conftest import DEPLOY

ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"


def render_alertmanager_config(webhook_url: str, heartbeat_url: str | None = None) -> str:
    text = ALERTMANAGER_CONFIG.read_text()
    return text.replace("${ALERT_WEBHOOK_URL}", webhook_url).replace(
        "${ALERT_HEARTBEAT_URL}", heartbeat_url or webhook_url
    )
