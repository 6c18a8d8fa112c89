"""``manage.py test`` is pytest (``jewelry.test_runner``): its help says what each option becomes."""

import argparse

from django.conf import settings
from django.core.management.commands.test import Command as DjangoTestCommand
from django.test.utils import get_runner


class Command(DjangoTestCommand):
    help = ("Run the pytest suite, as bin/test does, and exit with pytest's code. "
            "-v 0 / 2 / 3 become pytest's --quiet / -v / -vv, --failfast its --exitfirst, "
            "--keepdb its --reuse-db.")

    def add_arguments(self, parser):
        parser.add_argument("args", metavar="pytest_path", nargs="*",
                            help="test files, folders or node ids (tests/shop, "
                                 "tests/shop/test_x.py::test_y); none: the whole suite")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="accepted for Django's sake: pytest never asks")
        parser.add_argument("--testrunner", help=argparse.SUPPRESS)  # Django's handle reads it
        get_runner(settings, self.test_runner).add_arguments(parser)
