"""A throwaway PostgreSQL cluster for the e2e suite: Debian's `postgresql`
binaries, initdb into a temp folder (as user postgres when run as root), the
server on a free loopback port, trust authentication. No system service."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


class PGCluster:
    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        # Not finding PostgreSQL fails the tests that need it; scripts/test installs it.
        assert found, "PostgreSQL binaries not found (apt-get install postgresql)"
        self.bindir = os.path.dirname(found[-1])
        self.folder = tempfile.mkdtemp(prefix="lorafs-e2e-pg-")
        os.chmod(self.folder, 0o755)
        self.as_root = os.getuid() == 0
        if self.as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.data = os.path.join(self.folder, "data")
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.folder, "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c max_connections=200", "start")
        self.psql("CREATE DATABASE lorafs")

    def _run(self, program, *args):
        cmd = [os.path.join(self.bindir, program), *args]
        if self.as_root:
            cmd = ["/usr/sbin/runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")
        assert r.returncode == 0, f"{' '.join(cmd)}: {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r.stdout

    def url(self, database="lorafs", user="postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database="postgres") -> str:
        psql = os.path.join(self.bindir, "psql")
        r = subprocess.run([psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "-d", database, "-c", sql], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"psql {sql!r}: {r.stderr}"
        return r.stdout.strip()

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
