"""AdLoop settings: one env-driven package, read as the module `config.settings`.

Defaults run the whole service on one machine with nothing installed but Python:
SQLite under var/, Celery on kombu's filesystem transport, media on local disk,
email to the console. Production switches each piece with one variable (README,
"Configuration"). Secrets have no production default: with DEBUG off a missing
one stops start-up with its name.

Each part below holds one concern and is read in this order, so a production
host missing several variables is told about them in the same order as before
the split. Django reads the upper-case names this module ends up with.
"""

# Read in the order the docstring gives, not sorted:
# isort: off
from config.settings.base import *  # noqa: F403
from config.settings.throttling import *  # noqa: F403
from config.settings.email import *  # noqa: F403
from config.settings.worker import *  # noqa: F403
from config.settings.publishing import *  # noqa: F403
from config.settings.ai import *  # noqa: F403
from config.settings.api import *  # noqa: F403
from config.settings.security import *  # noqa: F403
from config.settings.logs import *  # noqa: F403
# isort: on
