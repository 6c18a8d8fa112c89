"""The local webhook receiver Alertmanager delivers to, shared with bin/stack."""

from deploy.stack import Webhook

__all__ = ["Webhook"]
