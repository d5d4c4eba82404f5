"""A real WordPress for the tests: Debian's `wordpress` package on the local
MariaDB, served by `php -S` on 127.0.0.1 (see ../shared/PEERS.md).

Session scoped: installed once (the apt-get install, when needed, takes about
20 s; a fresh site after that about two seconds). The fixture:
- installs `wordpress php-mysql php-xml php-mbstring` with apt-get when
  /usr/share/wordpress or `php` is missing (as root); under `CI=true` a failure
  is a test failure, otherwise the tests are skipped with the reason;
- creates a fresh database on MariaDB at 127.0.0.1:3306 (root, no password),
- copies /usr/share/wordpress to a temporary folder with its own
  `wp-config.php` (`WP_ENVIRONMENT_TYPE=local` so application passwords work
  over http, no cron, no outbound HTTP, `WP_HOME`/`WP_SITEURL` at the port),
- runs `wp_install()` from a PHP script and creates application passwords for
  an administrator and for a subscriber (who may not write posts),
- serves the folder with `php -S 127.0.0.1:<free port>`, and at the end stops
  that process (by its pid) and drops the database.

The REST API is reached as `/?rest_route=/wp/v2/...` (no pretty permalinks).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import testenv
from tests.integration.procs import wait_until
from tests.realservices import free_port

SOURCE = Path("/usr/share/wordpress")
PACKAGES = ["wordpress", "php-mysql", "php-xml", "php-mbstring"]
DB = ["mariadb", "-h", "127.0.0.1", "-P", "3306", "-u", "root"]


@dataclass(frozen=True)
class WordPress:
    url: str
    admin: str
    admin_password: str  # an application password
    author: str  # a subscriber: may read, may not write posts
    author_password: str


def _unavailable(reason: str) -> None:
    if testenv.CI:
        pytest.fail(f"WordPress could not be set up: {reason}")
    pytest.skip(f"WordPress not available: {reason}")


def _ensure_installed() -> None:
    if SOURCE.joinpath("wp-settings.php").exists() and shutil.which("php"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        _unavailable("not installed, and apt-get cannot run here (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", *PACKAGES],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 or not shutil.which("php"):
        _unavailable(f"apt-get install failed: {done.stderr[-500:]}")


def _sql(statement: str) -> None:
    subprocess.run([*DB, "-e", statement], check=True, capture_output=True)


CONFIG = """<?php
define('DB_NAME', '{db}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:3306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{salts}
$table_prefix = 'wp_';
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
if (!defined('ABSPATH')) {{ define('ABSPATH', __DIR__ . '/'); }}
require_once ABSPATH . 'wp-settings.php';
"""

INSTALL = """<?php
$_SERVER['HTTP_HOST'] = '127.0.0.1';
define('WP_INSTALLING', true);
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install('AdLoop test blog', 'admin', 'admin@blog.test', false, '', '{password}');
$admin = get_user_by('login', 'admin');
$reader = wp_create_user('reader', '{password}', 'reader@blog.test');
(new WP_User($reader))->set_role('subscriber');
list($a) = WP_Application_Passwords::create_new_application_password(
    $admin->ID, array('name' => 'adloop'));
list($r) = WP_Application_Passwords::create_new_application_password(
    $reader, array('name' => 'adloop'));
echo json_encode(array('admin' => $a, 'reader' => $r));
"""


def _install_site(root: Path, db: str, url: str) -> dict[str, str]:
    """Configure the copied site for `db` and `url` and run wp_install():
    the application passwords it prints are the only way the tests get in."""
    salts = "\n".join(
        f"define('{name}', '{secrets.token_hex(24)}');"
        for name in (
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        )
    )
    (root / "wp-config.php").write_text(CONFIG.format(db=db, url=url, salts=salts))
    password = secrets.token_urlsafe(12)
    (root / "adloop-install.php").write_text(INSTALL.format(password=password))
    done = subprocess.run(
        ["php", "adloop-install.php"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    (root / "adloop-install.php").unlink()
    if done.returncode != 0:
        _unavailable(f"wp_install failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPress]:
    """A fresh WordPress site on a free port (see the module docstring)."""
    _ensure_installed()
    try:
        _sql("SELECT 1")
    except (OSError, subprocess.CalledProcessError) as exc:
        _unavailable(f"MariaDB at 127.0.0.1:3306 is not reachable: {exc}")
    db = f"adloop_wp_{secrets.token_hex(4)}"
    _sql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4")
    process: subprocess.Popen[bytes] | None = None
    try:
        root = tmp_path_factory.mktemp("wordpress") / "site"
        shutil.copytree(SOURCE, root, symlinks=True)
        (root / "wp-content" / "uploads").mkdir(parents=True, exist_ok=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        keys = _install_site(root, db, url)
        log = (root.parent / "php-server.log").open("wb")
        process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(root)],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
            # Its own process group: the four workers it forks go with it.
            start_new_session=True,
        )

        def up() -> bool:
            try:
                return httpx.get(f"{url}/?rest_route=/", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        if not wait_until(up, timeout=30):
            _unavailable("php -S did not answer")
        yield WordPress(url, "admin", keys["admin"], "reader", keys["reader"])
    finally:
        if process is not None:
            # SIGTERM to the group: the parent alone leaves its workers serving.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        _sql(f"DROP DATABASE IF EXISTS {db}")
