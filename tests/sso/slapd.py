"""A real OpenLDAP server (Debian's slapd) for the tests, on a free loopback port with its own slapd.conf and
mdb database in a temporary folder: never the machine's own slapd service. `Slapd.start()` loads the LDIF
offline (slapadd) and waits until the server answers a bind; `stop()` ends it."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import ldap

SUFFIX = "dc=tinh,dc=vn"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"

CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
database mdb
maxsize 33554432
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {dir}/db
access to attrs=userPassword by self read by anonymous auth by * none
access to * by * read
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    def __init__(self, workdir: Path, ldif: str):
        self.dir = workdir
        self.ldif = ldif
        self.port = _free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Slapd:
        slapd = shutil.which("slapd") or "/usr/sbin/slapd"
        (self.dir / "db").mkdir(parents=True, exist_ok=True)
        conf = self.dir / "slapd.conf"
        conf.write_text(CONF.format(dir=self.dir, suffix=SUFFIX, rootdn=ROOT_DN, rootpw=ROOT_PASSWORD))
        (self.dir / "data.ldif").write_text(self.ldif)
        subprocess.run(
            ["/usr/sbin/slapadd", "-f", str(conf), "-l", str(self.dir / "data.ldif")],
            check=True,
            capture_output=True,
        )
        # -d 0: stays in the foreground (a child of the test), logging nothing.
        self.proc = subprocess.Popen(
            [slapd, "-f", str(conf), "-h", self.uri, "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = ldap.initialize(self.uri)
                conn.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
                conn.unbind_s()
                return self
            except ldap.SERVER_DOWN:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
                    self.stop()
                    raise RuntimeError(f"slapd did not start on {self.uri}: {err}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
