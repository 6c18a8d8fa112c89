"""The borders between the systems hold: read from every product module's syntax tree, lazy imports too.

MES has its own database and learns about orders only through messages, so ``mes/``
never imports ``shop/`` or ``crm/`` and they never import ``mes/``. The shared kernel
``jewelry/`` sits at the bottom and imports no other app of ours (its URL map names the apps'
URL modules as strings, which Django loads; its demo command calls MES's command by name);
``tracing/`` sits on it and imports no domain app (docs/architecture.md). Each
message is one contract in ``jewelry/contracts.py``, built by its publishers and
received by exactly one consumer; its wire name is spelled nowhere else.
"""

import ast
import dataclasses
import functools
import re
from pathlib import Path

import pytest

from jewelry.contracts import CONTRACTS, PriceRequested

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


# --- message contracts ----------------------------------------------------------------------

CONTRACTS_MODULE = "jewelry/contracts.py"
BEAT = "jewelry/celery.py"  # publishes the maintenance contracts by name, on a schedule
WIRE_NAME = re.compile(r"(?<![\w.])(" + "|".join(re.escape(name) for name in CONTRACTS) + r")(?![\w])")
CONTRACT_CLASSES = {contract.__name__: contract for contract in CONTRACTS.values()}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@functools.cache
def _trees() -> dict[str, ast.Module]:
    return {_relative(path): ast.parse(path.read_text()) for path in product_modules()}


def _consumed_contract(function: ast.FunctionDef) -> str | None:
    """``X`` if the function is decorated ``@consumer(X, ...)``."""
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "consumer"
                and decorator.args and isinstance(decorator.args[0], ast.Name)):
            return decorator.args[0].id
    return None


def consumers() -> dict[str, list[tuple[str, ast.FunctionDef]]]:
    """Contract class name -> the (module, handler) pairs registered for it."""
    found = {}
    for relative, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and (contract := _consumed_contract(node)):
                found.setdefault(contract, []).append((relative, node))
    return found


def publishers() -> dict[str, list[tuple[str, ast.Call | ast.Attribute]]]:
    """Contract class name -> where it is built (``X(...)``), or named by beat (``X.name``)."""
    found = {}
    for relative, tree in _trees().items():
        if relative == CONTRACTS_MODULE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in CONTRACT_CLASSES:
                found.setdefault(node.func.id, []).append((relative, node))
            elif (relative == BEAT and isinstance(node, ast.Attribute) and node.attr == "name"
                  and getattr(node.value, "id", "") in CONTRACT_CLASSES):
                found.setdefault(node.value.id, []).append((relative, node))
    return found


def _app(relative: str) -> str:
    return relative.split("/", 1)[0]


@pytest.mark.parametrize("contract", CONTRACT_CLASSES)
def test_every_contract_has_one_consumer_and_a_publisher_on_the_other_side(contract):
    registered = [relative for relative, _ in consumers().get(contract, [])]
    published_in = {_app(relative) for relative, _ in publishers().get(contract, [])}

    assert len(registered) == 1, f"{contract} has consumers in {registered}"
    assert published_in, f"{contract} is never built by a publisher"
    assert _app(registered[0]) not in published_in  # a message crosses to another system


def test_publishers_build_contracts_with_their_fields_only():
    """A renamed field fails here even on a path no other test walks."""
    wrong = []
    for contract, calls in publishers().items():
        fields = {field.name for field in dataclasses.fields(CONTRACT_CLASSES[contract])}
        for relative, node in calls:
            if isinstance(node, ast.Call):
                wrong += [f"{relative}:{node.lineno} {contract}({k.arg}=)" for k in node.keywords
                          if k.arg not in fields]
    assert wrong == []


def test_handlers_read_only_their_contracts_fields():
    readable = {"name", "route", "payload"}
    wrong = []
    for contract, handlers in consumers().items():
        fields = {field.name for field in dataclasses.fields(CONTRACT_CLASSES[contract])} | readable
        for relative, handler in handlers:
            message = handler.args.args[-1].arg  # the typed message comes last (after ``self`` if bound)
            wrong += [f"{relative}:{node.lineno} {message}.{node.attr}" for node in ast.walk(handler)
                      if isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == message
                      and node.attr not in fields]
    assert wrong == []


def wire_names_spelled_in(source: str) -> list[str]:
    """The wire task names in the string literals of ``source`` (f-string parts and docstrings too)."""
    return [match for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            for match in WIRE_NAME.findall(node.value)]


def test_no_wire_task_name_is_spelled_outside_its_contract():
    modules = [*product_modules(), *(ROOT / "benchmarks").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
    spelled = [f"{_relative(path)}: {name}" for path in modules if _relative(path) != CONTRACTS_MODULE
               for name in wire_names_spelled_in(path.read_text())]
    assert spelled == []


def test_the_wire_name_scan_sees_names_inside_longer_strings():
    name = PriceRequested.name
    source = f"SPAN = {'run/' + name!r}\nLIMITS = {name + '=1:3'!r}\nQUEUE = {name + 's'!r}\n"

    assert wire_names_spelled_in(source) == [name, name]
