"""Routes every model to its system's database: MES models to ``mes``, the rest to ``default``.

Returning ``None`` defers to Django; relations across the two databases are refused.
"""

MES_DB = "mes"  # the alias of the MES database (settings.DATABASES); every other app uses "default"
MES_APPS = frozenset({"mes"})


def database_for_app(app_label: str) -> str:
    return MES_DB if app_label in MES_APPS else "default"


class SystemDatabaseRouter:
    def db_for_read(self, model, **hints):
        return database_for_app(model._meta.app_label)

    def db_for_write(self, model, **hints):
        return database_for_app(model._meta.app_label)

    def allow_relation(self, obj1, obj2, **hints):
        return database_for_app(obj1._meta.app_label) == database_for_app(obj2._meta.app_label)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return database_for_app(app_label) == db
