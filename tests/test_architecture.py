"""The borders between the systems hold: read from every product module's syntax tree, lazy imports too.

MES has its own database and learns about orders only through messages, so ``mes/``
never imports ``shop/`` or ``crm/`` and they never import ``mes/``. The shared kernel
``jewelry/`` sits at the bottom and imports no other app of ours (its URL map names the apps'
URL modules as strings, which Django loads; its demo command calls MES's command by name);
``tracing/`` sits on it and imports no domain app (docs/architecture.md).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = {"shop", "crm", "mes"}
# Who may never import whom: package -> forbidden top-level packages. No file is exempt.
FORBIDDEN = {
    "mes": {"shop", "crm"},
    "shop": {"mes"},
    "crm": {"mes"},
    "tracing": DOMAIN_APPS,
    "jewelry": DOMAIN_APPS | {"tracing"},
}
MAX_MODULE_LINES = 400


def product_modules() -> list[Path]:
    return sorted(path for package in FORBIDDEN for path in (ROOT / package).rglob("*.py")
                  if "migrations" not in path.parts)


def imported_modules(source: str) -> set[str]:
    """Every module the code imports, at the top or inside a function, including importlib by name."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Call) and _names_a_module_by_string(node):
            found.add(node.args[0].value)
    return found


def _names_a_module_by_string(call: ast.Call) -> bool:
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return (name in {"import_module", "__import__"} and bool(call.args)
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))


def crossings_in(relative: str, source: str) -> list[str]:
    """The imports of one module (``relative`` to the root, holding ``source``) that cross a border."""
    package = relative.split("/", 1)[0]
    return [f"{relative} imports {module}" for module in sorted(imported_modules(source))
            if module.split(".", 1)[0] in FORBIDDEN[package]]


def border_crossings() -> list[str]:
    return [crossing for path in product_modules()
            for crossing in crossings_in(path.relative_to(ROOT).as_posix(), path.read_text())]


def test_no_module_crosses_a_border_between_the_systems():
    assert border_crossings() == []


def test_the_kernel_sits_below_tracing_with_no_file_exempt():
    assert crossings_in("jewelry/outbox.py", "from tracing import propagation") == [
        "jewelry/outbox.py imports tracing"]
    assert crossings_in("tracing/hooks.py", "from jewelry.lifecycle import order_status_changed") == []
    assert crossings_in("jewelry/urls.py", "import shop.api.urls") == ["jewelry/urls.py imports shop.api.urls"]
    assert crossings_in("jewelry/management/commands/seed_demo.py", "from mes.models import ApiClient") == [
        "jewelry/management/commands/seed_demo.py imports mes.models"]


def test_the_scan_sees_lazy_and_importlib_imports():
    source = (
        "def later():\n"
        "    from shop.models import Order\n"
        "    import importlib\n"
        "    importlib.import_module('crm.services')\n"
        "    __import__('mes')\n"
    )

    assert imported_modules(source) >= {"shop.models", "crm.services", "mes", "importlib"}


def test_the_lifecycle_is_declared_once_in_the_shared_kernel():
    lifecycle = (ROOT / "jewelry" / "lifecycle.py").read_text()

    assert "class OrderStatus(models.TextChoices)" in lifecycle
    assert "TRANSITIONS" in lifecycle and "order_status_changed = Signal()" in lifecycle
    assert not (ROOT / "shop" / "lifecycle.py").exists()
    assert not (ROOT / "shop" / "signals.py").exists()
    declared_elsewhere = [path.relative_to(ROOT).as_posix() for path in product_modules()
                          if "class OrderStatus(" in path.read_text() and path.name != "lifecycle.py"]
    assert declared_elsewhere == []


@pytest.mark.parametrize("path", product_modules(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_product_module_is_over_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES
