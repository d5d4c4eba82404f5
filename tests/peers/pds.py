"""A real Bluesky Personal Data Server for the tests (see ../shared/PEERS.md).

`@atproto/pds` and `@did-plc/server` are installed with npm, once per machine,
into a cache folder outside the repository (`~/.cache/adloop/pds-<version>`, or
under `$ADLOOP_CACHE_DIR`) that survives between runs; the versions are pinned
in the package.json written there. Each test session then starts an in-memory
PLC directory and the PDS on free ports of 127.0.0.1 with a fresh data folder,
waits for `/xrpc/_health`, creates two accounts (`alice.test`, `bob.test`) with
an app password each, and stops both servers at the end.

Without node/npm, or when the install fails: under CI=true the tests fail
loudly; otherwise they are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import testenv

PDS_VERSION = "0.4.217"  # the newest @atproto/pds for Node 20 (0.5 needs Node 22)
PLC_VERSION = "0.0.1"
INSTALL_TIMEOUT_SECONDS = 900
START_TIMEOUT_SECONDS = 60

PACKAGE_JSON = {
    "name": "adloop-test-pds",
    "private": True,
    "description": "The Bluesky PDS the AdLoop tests run against (tests/peers/pds.py).",
    "dependencies": {"@atproto/pds": PDS_VERSION, "@did-plc/server": PLC_VERSION},
    # npm >= 11 runs dependency install scripts only when allowed: the PDS's
    # SQLite binding compiles in its install script.
    "allowScripts": {"better-sqlite3": True},
}

# Starts the PLC directory (in memory) and the PDS; both bind 127.0.0.1 only
# (their `listen(port)` would bind every interface).
RUNNER_JS = """\
const http = require('http');
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
const { PlcServer, Database } = require('@did-plc/server');
const pds = require('@atproto/pds');

async function main() {
  const port = Number(process.env.PLC_PORT);
  const plc = PlcServer.create({ db: Database.mock(), port });
  await plc.start();
  const env = pds.readEnv();
  const server = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env));
  await server.start();
  console.log('adloop-pds ready');
  const stop = async () => {
    await server.destroy().catch(() => {});
    await plc.destroy().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((err) => { console.error(err); process.exit(1); });
"""


class PeerUnavailable(Exception):
    """The PDS cannot run here (no node/npm, or the install failed)."""


def cache_dir() -> Path:
    base = os.environ.get("ADLOOP_CACHE_DIR") or str(Path.home() / ".cache" / "adloop")
    return Path(base) / f"pds-{PDS_VERSION}"


def _installed(folder: Path) -> bool:
    modules = folder / "node_modules"
    try:
        pds = json.loads((modules / "@atproto/pds/package.json").read_text())
        plc = json.loads((modules / "@did-plc/server/package.json").read_text())
    except (OSError, ValueError):
        return False
    binding = modules / "better-sqlite3/build/Release/better_sqlite3.node"
    return (
        pds.get("version") == PDS_VERSION
        and plc.get("version") == PLC_VERSION
        and binding.exists()
    )


def install() -> Path:
    """The cache folder with the pinned packages, installing them when missing
    (under a file lock: two test runs on one machine install once)."""
    folder = cache_dir()
    if _installed(folder):
        return folder
    if not shutil.which("node") or not shutil.which("npm"):
        raise PeerUnavailable("node and npm are needed to run the Bluesky PDS")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(folder):
            return folder
        (folder / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2) + "\n")
        try:
            done = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PeerUnavailable("npm install of the Bluesky PDS timed out") from exc
        if done.returncode != 0 or not _installed(folder):
            tail = (done.stdout + done.stderr)[-2000:]
            raise PeerUnavailable(f"npm install of the Bluesky PDS failed:\n{tail}")
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PdsAccount:
    handle: str
    did: str
    password: str
    app_password: str


@dataclass
class Pds:
    """A running PDS: its URL, the accounts made for the tests, and XRPC reads."""

    url: str
    accounts: dict[str, PdsAccount] = field(default_factory=dict)

    def xrpc(self, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/xrpc/{nsid}", timeout=30, **kwargs)

    def create_account(self, name: str) -> PdsAccount:
        handle, password = f"{name}.test", secrets.token_urlsafe(16)
        made = self.xrpc(
            "POST",
            "com.atproto.server.createAccount",
            json={
                "handle": handle,
                "email": f"{name}@example.com",
                "password": password,
            },
        )
        made.raise_for_status()
        data = made.json()
        app = self.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            json={"name": "adloop-tests"},
            headers={"Authorization": f"Bearer {data['accessJwt']}"},
        )
        app.raise_for_status()
        account = PdsAccount(handle, data["did"], password, app.json()["password"])
        self.accounts[name] = account
        return account

    def get_record(self, did: str, rkey: str, collection: str = "app.bsky.feed.post"):
        """The stored record (`uri`, `cid`, `value`), or None."""
        answer = self.xrpc(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": did, "collection": collection, "rkey": rkey},
        )
        if answer.status_code == 400 and answer.json().get("error") == "RecordNotFound":
            return None
        answer.raise_for_status()
        return answer.json()

    def list_records(
        self, did: str, collection: str = "app.bsky.feed.post"
    ) -> list[Any]:
        answer = self.xrpc(
            "GET",
            "com.atproto.repo.listRecords",
            params={"repo": did, "collection": collection, "limit": 100},
        )
        answer.raise_for_status()
        return list(answer.json()["records"])


@contextlib.contextmanager
def running_pds(folder: Path, data: Path) -> Iterator[Pds]:
    """Start PLC + PDS from the installed `folder` with `data` as data folder."""
    (folder / "run.js").write_text(RUNNER_JS)
    plc_port, pds_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "NODE_ENV": "development",
        "PLC_PORT": str(plc_port),
        "PDS_HOSTNAME": "localhost",
        "PDS_PORT": str(pds_port),
        "PDS_DEV_MODE": "true",
        "PDS_INVITE_REQUIRED": "false",
        "PDS_DATA_DIRECTORY": str(data),
        "PDS_BLOBSTORE_DISK_LOCATION": str(data / "blocks"),
        "PDS_DID_PLC_URL": f"http://127.0.0.1:{plc_port}",
        "PDS_JWT_SECRET": secrets.token_hex(16),
        "PDS_ADMIN_PASSWORD": secrets.token_hex(16),
        "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": secrets.token_hex(32),
        "PDS_SERVICE_HANDLE_DOMAINS": ".test",
        "PDS_CRAWLERS": "",
        "LOG_ENABLED": "false",
    }
    data.mkdir(parents=True, exist_ok=True)
    log = open(data / "pds.log", "w")  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(
        ["node", str(folder / "run.js")],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{pds_port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise PeerUnavailable(
                    "the Bluesky PDS stopped at start:\n"
                    + (data / "pds.log").read_text()[-2000:]
                )
            try:
                if httpx.get(f"{url}/xrpc/_health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise PeerUnavailable("the Bluesky PDS did not become healthy")
            time.sleep(0.2)
        yield Pds(url=url)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _unavailable(reason: str) -> None:
    if testenv.CI:
        pytest.fail(f"CI=true and the Bluesky PDS cannot run: {reason}")
    pytest.skip(f"Bluesky PDS not available: {reason}")


@pytest.fixture(scope="session")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pds]:
    """A real PDS on 127.0.0.1 with accounts `alice` and `bob` (app passwords)."""
    try:
        folder = install()
        with running_pds(folder, tmp_path_factory.mktemp("pds")) as server:
            server.create_account("alice")
            server.create_account("bob")
            yield server
    except PeerUnavailable as exc:
        _unavailable(str(exc))
