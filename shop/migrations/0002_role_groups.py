"""The role groups (jewelry.roles.GROUP_ROLES) exist in every database from the start."""

from django.db import migrations

ROLES = ["customer", "seller", "operator", "support", "developer"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
