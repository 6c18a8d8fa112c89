"""Settings come from the environment, read once; production refuses to start on the development
secret and changes only what ``jewelry/settings/production.py`` says; importing settings writes nothing."""

import ast
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "jewelry" / "settings"
PRODUCTION_SECRET = "x" * 50
PRINT_SETTINGS = ("import json, django; django.setup(); from django.conf import settings; "
                  "print(json.dumps({{name: getattr(settings, name, None) for name in {names!r}}}, default=str))")


def _run(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "jewelry.settings", **env},
                          capture_output=True, text=True, timeout=60, check=False)


def _load_settings(**env) -> subprocess.CompletedProcess:
    return _run("import django; django.setup(); from django.conf import settings; "
                "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG)", **env)


def _settings(names: list[str], **env) -> dict:
    result = _run(PRINT_SETTINGS.format(names=names), **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_production_refuses_the_insecure_default_secret(tmp_path):
    result = _load_settings(DJANGO_ENV="production", ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_and_debug_off(tmp_path):
    result = _load_settings(DJANGO_ENV="production", SECRET_KEY=PRODUCTION_SECRET, ALLOWED_HOSTS="shop.example",
                            ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["jewelry.sqlite3", "False"]


def test_defaults_need_nothing_installed(tmp_path):
    result = _load_settings(ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["jewelry.sqlite3", "True"]


def test_production_refuses_the_demo_span_store(tmp_path):
    result = _load_settings(DJANGO_ENV="production", SECRET_KEY=PRODUCTION_SECRET,
                            RECENT_SPANS_FILE=str(tmp_path / "spans.sqlite3"), ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "RECENT_SPANS_FILE" in result.stderr


def test_production_overrides_apply_only_with_django_env_production(tmp_path):
    names = ["DEBUG", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER",
             "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SILENCED_SYSTEM_CHECKS", "STORAGES"]

    laptop = _settings(names, ALEXANDRITE_VAR_DIR=str(tmp_path))
    production = _settings(names, DJANGO_ENV="production", SECRET_KEY=PRODUCTION_SECRET,
                           ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert laptop == {"DEBUG": True, "ALLOWED_HOSTS": ["*"], "SESSION_COOKIE_SECURE": False,
                      "CSRF_COOKIE_SECURE": False, "SECURE_PROXY_SSL_HEADER": None, "SECURE_SSL_REDIRECT": False,
                      "SECURE_HSTS_SECONDS": 0, "SILENCED_SYSTEM_CHECKS": [],
                      "STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                   "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}
    assert production == {"DEBUG": False, "ALLOWED_HOSTS": [], "SESSION_COOKIE_SECURE": True,
                          "CSRF_COOKIE_SECURE": True, "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
                          "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
                          "SILENCED_SYSTEM_CHECKS": ["security.W005", "security.W021"],
                          "STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                       "staticfiles": {"BACKEND": "whitenoise.storage."
                                                                  "CompressedManifestStaticFilesStorage"}}}


def test_importing_settings_and_setting_up_django_create_nothing_on_disk(tmp_path):
    home, var = tmp_path / "home", tmp_path / "var"
    home.mkdir()

    result = _run("import jewelry.settings, django; django.setup()",
                  HOME=str(home), ALEXANDRITE_VAR_DIR=str(var), TRACING_ENABLED="true",
                  OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")

    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["home"]


def _settings_modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text()) for path in sorted(SETTINGS_DIR.glob("*.py"))}


def _variables_read(tree: ast.AST) -> list[str]:
    """The first argument of every ``env(...)`` / ``env.<cast>(...)`` call."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    readers = [call for call in calls
               if (isinstance(call.func, ast.Name) and call.func.id == "env")
               or (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
                   and call.func.value.id == "env")]
    return [call.args[0].value for call in readers]


def test_every_environment_variable_is_read_once_through_the_env_module():
    modules = _settings_modules()

    read = Counter(name for tree in modules.values() for name in _variables_read(tree))

    assert {"SECRET_KEY", "DJANGO_ENV", "SHOP_DATABASE_URL", "TASK_TIME_LIMITS_SECONDS", "DEBUG"} <= set(read)
    assert [name for name, times in read.items() if times > 1] == []
    touching_the_environment = sorted(name for name, tree in modules.items() if name != "env.py"
                                      and ("os" in _imported(tree) or "environ" in _imported(tree)))
    assert touching_the_environment == []


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _module_level_statements(body: list[ast.stmt]):
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _module_level_statements(node.body)
            yield from _module_level_statements(node.orelse)


def test_each_setting_is_defined_once_with_its_final_value():
    definitions, changes = Counter(), []
    for module, tree in _settings_modules().items():
        for node in _module_level_statements(tree.body):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            definitions.update(target.id for target in targets
                               if isinstance(target, ast.Name) and target.id.isupper())
            changes += [f"{module}:{node.lineno}" for target in targets if isinstance(target, ast.Subscript)]
            changes += [f"{module}:{node.lineno}" for call in ast.walk(node) if isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
                        and call.func.value.id.isupper() and call.func.attr in {"insert", "append", "update",
                                                                                 "setdefault", "extend", "pop"}]

    assert {"MIDDLEWARE", "REST_FRAMEWORK", "STATIC_ROOT", "DATABASES", "CACHES"} <= set(definitions)
    assert [name for name, times in definitions.items() if times > 1] == []
    assert changes == []


def test_only_the_production_module_looks_at_which_environment_this_is():
    looking = sorted(module for module, tree in _settings_modules().items() if module != "base.py"
                     and any(isinstance(node, ast.Name) and node.id in {"PRODUCTION", "DJANGO_ENV"}
                             for node in ast.walk(tree)))

    assert looking == ["production.py"]
