from django.db import migrations

from mes.metals import seed_metal_prices


def seed(apps, schema_editor):
    seed_metal_prices(apps.get_model("mes", "MetalPrice"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("mes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
