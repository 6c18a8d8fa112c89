"""The one reader of the environment: every setting's variable is read through ``env``, once.

django-environ casts each value (bool, int, list, database and cache URLs) and leaves
``os.environ`` as it found it (``Env.read_env``, which writes it, is never called).
"""

import environ

env = environ.Env()
