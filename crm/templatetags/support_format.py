"""Template filters of the support console: durations a person reads at a glance."""

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds to the second, largest unit first ("1 d 4 min 5 s"), or "0.42 s" when short."""
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.2f} s"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{value} {unit}" for value, unit in units if value]
    return " ".join(shown) or "0 s"


@register.filter
def milliseconds(value) -> str:
    value = float(value)
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


@register.filter
def get_item(mapping, key):
    """``mapping[key]``, or None: a dict looked up by a variable in a template."""
    return mapping.get(key) if mapping else None
