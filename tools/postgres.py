"""A throwaway PostgreSQL server for tests and local studies: ``python -m tools.postgres``.

::

    python -m tools.postgres install      # the server binaries, if missing (apt-get, as root)
    eval "$(python -m tools.postgres start)"   # a new cluster; exports its URL and password
    python -m tools.postgres stop         # stops the cluster in $L2GPU_PG_DIR and deletes it

``start`` initialises a cluster in a new temporary folder (``--dir`` to choose), starts it on a
free port of 127.0.0.1 (``--port``), creates the user ``l2gpu`` and two databases, ``l2gpu`` for
Optuna studies and ``mlflow`` for an MLflow server's runs (each program keeps its own
``alembic_version`` table, so they cannot share one), and prints shell ``export`` lines:
``L2GPU_PG_URL`` (``postgresql+psycopg://l2gpu@127.0.0.1:<port>/l2gpu``, without the password),
``L2GPU_MLFLOW_STORE_URL`` (the same server, database ``mlflow``), ``PGPASSWORD``
(``$L2GPU_PG_PASSWORD`` if set, else a new random one, read by psycopg and by ``psql``) and
``L2GPU_PG_DIR``; the same lines go to ``<dir>/env`` (mode 600). Nothing is written outside the
folder and nothing is committed. PostgreSQL refuses to run as root: as root, the cluster belongs
to the ``postgres`` system user (made by the Debian package) and its commands run through
``runuser``. The server binaries are looked for in ``/usr/lib/postgresql/<version>/bin`` (the
newest) and on ``PATH``; ``install`` (and ``start --install``) runs ``apt-get install -y
postgresql`` when they are missing, which needs root. Standard library only. See
``docs/distributed-workers.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = DATABASE = "l2gpu"
MLFLOW_DATABASE = "mlflow"
OWNER = "postgres"
"""The system user that owns the cluster when this runs as root."""
START_TIMEOUT_S = 60
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}


class PostgresError(RuntimeError):
    """The server could not be found, installed, started or stopped; the message says why."""


def bindir() -> Path | None:
    """Return the folder of the newest ``postgres`` server binary, or ``None``."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
    if found:
        return max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)])
    on_path = shutil.which("postgres")
    return Path(on_path).resolve().parent if on_path else None


def install() -> Path:
    """Return the server's binary folder, installing PostgreSQL with apt-get when missing."""
    found = bindir()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresError(
            "the PostgreSQL server is not installed and this is not root on Debian/Ubuntu: "
            "install it (sudo apt-get install -y postgresql), or point L2GPU_PG_URL at a server"
        )
    env = {**os.environ, **APT_ENV}
    command = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    if subprocess.run(command, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)  # a stale package list
        subprocess.run(command, env=env, check=True)
    found = bindir()
    if found is None:
        raise PostgresError("apt-get installed postgresql but no postgres binary was found")
    return found


@dataclass(frozen=True)
class Cluster:
    """A running throwaway cluster.

    Attributes
    ----------
    folder : pathlib.Path
        Holds ``data/`` (the cluster), ``server.log``, the server's socket and ``env``.
    port : int
        TCP port on 127.0.0.1.
    password : str
        Password of the user ``l2gpu``.
    """

    folder: Path
    port: int
    password: str

    def url(self, database: str = DATABASE) -> str:
        """Return the SQLAlchemy URL of ``database``, without the password."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def env(self) -> dict[str, str]:
        """Return the variables a client needs: the URL, the password, the folder."""
        return {
            "L2GPU_PG_URL": self.url(),
            "L2GPU_MLFLOW_STORE_URL": self.url(MLFLOW_DATABASE),
            "PGPASSWORD": self.password,
            "L2GPU_PG_DIR": str(self.folder),
        }

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its URL."""
        tool = _tool("createdb")
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", USER]
        _run(
            f"createdb {name}",
            [tool, *where, name],
            env={**os.environ, "PGPASSWORD": self.password},
        )
        return self.url(name)


def _tool(name: str) -> str:
    found = bindir()
    if found is None:
        raise PostgresError(
            "the PostgreSQL server is not installed: python -m tools.postgres install"
        )
    return str(found / name)


def _as_owner(command: list[str]) -> list[str]:
    """Run ``command`` as the cluster's owner: ``postgres`` when we are root, else ourselves."""
    return ["runuser", "-u", OWNER, "--", *command] if os.geteuid() == 0 else command


def _run(what: str, command: list[str], env: dict[str, str] | None = None) -> None:
    """Run ``command``; a failure is a :class:`PostgresError` with the end of its output."""
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PostgresError(f"{what} failed (exit {done.returncode}): {' '.join(tail)}")


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(
    folder: Path | None = None, port: int | None = None, install_missing: bool = False
) -> Cluster:
    """Initialise and start a cluster with user ``l2gpu`` and its two databases; return it.

    Parameters
    ----------
    folder : pathlib.Path, optional
        A new or empty folder for the cluster (default: a new temporary one).
    port : int, optional
        TCP port on 127.0.0.1 (default: a free one).
    install_missing : bool
        Install the server with apt-get when it is missing (:func:`install`).
    """
    binaries = install() if install_missing else bindir()
    if binaries is None:
        raise PostgresError(
            "the PostgreSQL server is not installed: python -m tools.postgres install (root), "
            "or sudo apt-get install -y postgresql"
        )
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="l2gpu-pg-"))
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, OWNER, OWNER)
    folder.chmod(0o700)
    password = os.environ.get("L2GPU_PG_PASSWORD") or secrets.token_hex(16)
    secret = folder / "password"
    secret.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(secret, OWNER, OWNER)
    secret.chmod(0o600)
    try:
        _run(
            "initdb",
            _as_owner(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(folder / "data"),
                    "-U",
                    USER,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={secret}",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
        )
    finally:
        secret.unlink()
    port = port or free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    _run(
        f"pg_ctl start (log: {folder / 'server.log'})",
        _as_owner(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "start",
            ]
        ),
    )
    cluster = Cluster(folder, port, password)
    cluster.create_database(DATABASE)
    cluster.create_database(MLFLOW_DATABASE)
    lines = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in cluster.env().items())
    env_file = folder / "env"
    env_file.write_text(lines)
    env_file.chmod(0o600)
    return cluster


def stop(folder: Path) -> None:
    """Stop the cluster in ``folder`` (if it runs) and delete the folder."""
    data = Path(folder) / "data"
    if (data / "postmaster.pid").exists():
        _run(
            "pg_ctl stop", _as_owner([_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        )
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the command line (see the module docstring); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.postgres", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="install the server binaries if missing (apt-get, root)")
    begin = commands.add_parser("start", help="start a new cluster; print `export` lines")
    begin.add_argument("--dir", type=Path, default=None, help="the cluster's folder (new or empty)")
    begin.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    begin.add_argument("--install", action="store_true", help="install the server if missing")
    end = commands.add_parser("stop", help="stop a cluster and delete its folder")
    end.add_argument("--dir", type=Path, default=os.environ.get("L2GPU_PG_DIR"))
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(f"PostgreSQL server binaries: {install()}", file=sys.stderr)
        elif args.command == "start":
            cluster = start(args.dir, args.port, args.install)
            print(
                f"PostgreSQL on 127.0.0.1:{cluster.port}, cluster in {cluster.folder}",
                file=sys.stderr,
            )
            print((cluster.folder / "env").read_text(), end="")
        else:
            if args.dir is None:
                parser.error("stop: give --dir or set L2GPU_PG_DIR")
            stop(args.dir)
    except (PostgresError, OSError, subprocess.CalledProcessError) as exc:
        print(f"tools.postgres: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
