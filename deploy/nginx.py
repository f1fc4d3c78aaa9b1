"""Render deploy/nginx.conf.template, and run nginx with it on loopback for tests.

For a deployment, print a configuration and install it::

    python -m deploy.nginx --listen 80 --replica 10.0.0.11:8000 --replica 10.0.0.12:8000 \\
        --dumps /srv/publisher/var/store/dumps --run-dir /var/lib/nginx/publisher \\
        > /etc/nginx/nginx.conf

For tests and benchmarks, :class:`NginxProxy` starts Debian's nginx in the foreground on
127.0.0.1 with every file (pid, logs, temporary files, cache) in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
MIME_TYPES = "/etc/nginx/mime.types"


@dataclass
class ProxyConfig:
    """Everything the template needs; defaults suit one machine in front of replicas."""

    listen: str
    replicas: Sequence[str]
    dumps_dir: Path
    run_dir: Path
    prefix: str = "/"
    fresh: str = "2s"
    read_timeout: str = "60s"
    worker_processes: str = "auto"
    rate: int = 200
    burst: int = 400
    conn_per_client: int = 64
    cache_keys: str = "32m"
    cache_max: str = "2g"
    max_fails: int = 1
    fail_timeout: str = "5s"
    access_log: str | None = None
    #: ``off`` turns the cache off (to measure what it brings), nothing else changes.
    cache: str = "publisher"
    #: Who nginx's workers run as when started as root (they write the cache).
    user: str = "www-data"
    extra: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, str]:
        servers = "\n        ".join(
            f"server {replica} max_fails={self.max_fails} fail_timeout={self.fail_timeout};"
            for replica in self.replicas)
        prefix = self.prefix if self.prefix.endswith("/") else self.prefix + "/"
        return {
            "USER": self.user, "LISTEN": self.listen, "CACHE": self.cache,
            "UPSTREAM_SERVERS": servers,
            "DUMPS_DIR": str(self.dumps_dir).rstrip("/"), "RUN_DIR": str(self.run_dir),
            "CACHE_DIR": str(self.run_dir / "cache"), "PREFIX": prefix, "FRESH": self.fresh,
            "READ_TIMEOUT": self.read_timeout, "WORKER_PROCESSES": self.worker_processes,
            "RATE": str(self.rate), "BURST": str(self.burst),
            "CONN_PER_CLIENT": str(self.conn_per_client), "CACHE_KEYS": self.cache_keys,
            "CACHE_MAX": self.cache_max, "MIME_TYPES": MIME_TYPES,
            "ACCESS_LOG": "off" if self.access_log == "off"
            else f"{self.access_log or self.run_dir / 'access.log'} cache", **self.extra,
        }


def render(config: ProxyConfig, template: str | None = None) -> str:
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template
    values = config.values()

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the nginx template names {{{{{name}}}}}, which has no value")
        return values[name]

    return re.sub(r"\{\{([A-Z_]+)\}\}", value, text)


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


class NginxProxy:
    """nginx in the foreground with a rendered configuration, stopped with ``stop``."""

    def __init__(self, config: ProxyConfig) -> None:
        if os.geteuid() == 0:  # workers as the test's own user: they own the temp folder
            import pwd

            config.user = pwd.getpwuid(os.geteuid()).pw_name
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def conf_path(self) -> Path:
        return self.config.run_dir / "nginx.conf"

    @property
    def url(self) -> str:
        host, _, port = self.config.listen.rpartition(":")
        return f"http://{host or '127.0.0.1'}:{port}"

    def start(self, ready_path: str = "/health", timeout: float = 30.0) -> NginxProxy:
        run = self.config.run_dir
        run.mkdir(parents=True, exist_ok=True)
        (run / "cache").mkdir(exist_ok=True)
        self.conf_path.write_text(render(self.config), encoding="utf-8")
        check = subprocess.run([nginx_binary(), "-t", "-q", "-p", str(run), "-c",
                                str(self.conf_path)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration: {check.stderr.strip()}")
        log = (run / "nginx.out").open("wb")
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(run), "-c", str(self.conf_path), "-g", "daemon off;"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(run / 'error.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # nginx answers: whatever the replicas say
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start listening")

    def reload(self) -> None:
        """Re-render the configuration and have nginx load it without dropping requests."""
        assert self.process is not None
        self.conf_path.write_text(render(self.config), encoding="utf-8")
        os.kill(self.process.pid, signal.SIGHUP)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> NginxProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.nginx",
                                     description="Print an nginx configuration for a "
                                     "cache in front of publisher replicas.")
    parser.add_argument("--listen", default="80", help="address:port or port (default 80)")
    parser.add_argument("--replica", action="append", required=True,
                        help="host:port of a `publisher serve` replica (repeat)")
    parser.add_argument("--dumps", type=Path, required=True,
                        help="the live build's dumps folder, e.g. var/store/dumps")
    parser.add_argument("--run-dir", type=Path, default=Path("/var/lib/nginx/publisher"),
                        help="pid, temporary files and the cache")
    parser.add_argument("--prefix", default="/", help="path of PUBLISHER_BASE (default /)")
    parser.add_argument("--fresh", default="2s",
                        help="how long a cached answer is served before revalidation")
    args = parser.parse_args(argv)
    config = ProxyConfig(listen=args.listen, replicas=args.replica, dumps_dir=args.dumps,
                         run_dir=args.run_dir, prefix=args.prefix, fresh=args.fresh)
    sys.stdout.write(render(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
