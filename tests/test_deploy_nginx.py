"""The deployment in deploy/: its compose file read, and its nginx configuration run in front of two apps.

The nginx test starts the real nginx (from PATH or /usr/sbin; skipped without it, CI installs it) as the
current user, with a prefix, pid file and logs of its own and the deploy template rendered with free
ports, in front of two `laborwatch serve` processes on PostgreSQL sharing limits through Redis.
"""

import getpass
import os
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import Engine

from tests.conftest import Database
from tests.helpers.bundles import report_bundle
from tests.helpers.serving import Served, an_address, serve, serve_env, wait_until
from tests.served import free_port

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
TEMPLATE = DEPLOY / "nginx" / "templates" / "laborwatch.conf.template"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def test_the_compose_file_runs_the_stack_behind_the_nginx_template() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "redis", "app1", "app2", "nginx"}
    nginx = services["nginx"]
    assert "./nginx/templates:/etc/nginx/templates:ro" in nginx["volumes"]
    assert (DEPLOY / "nginx" / "templates").is_dir()
    assert {nginx["environment"]["LABORWATCH_UPSTREAM_1"], nginx["environment"]["LABORWATCH_UPSTREAM_2"]} == {
        "app1:8000",
        "app2:8000",
    }
    proxy_address = nginx["networks"]["laborwatch"]["ipv4_address"]
    for name in ("app1", "app2"):
        app = services[name]
        assert app["image"] == "laborwatch:latest"
        environment = app["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@db:5432/" in environment["DATABASE_URL"]
        assert environment["LABORWATCH_LIMITS_STORAGE"] == "redis://redis:6379/0"
        assert yaml.safe_load(environment["LABORWATCH_TRUSTED_PROXIES"]) == [proxy_address]
        assert app["healthcheck"]["test"][0] == "CMD"
    assert services["app1"]["build"]["context"] == ".."
    assert (DEPLOY.parent / services["app1"]["build"]["dockerfile"]).is_file()
    assert services["app2"]["pull_policy"] == "never"  # the image app1 built, never one of a registry
    assert services["app2"]["depends_on"]["app1"]["condition"] == "service_healthy"  # one migrates
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    # Every ${NAME} of the template is given by the nginx service.
    template = TEMPLATE.read_text(encoding="utf-8")
    for name in ("LABORWATCH_UPSTREAM_1", "LABORWATCH_UPSTREAM_2", "NGINX_PORT"):
        assert f"${{{name}}}" in template
        assert name in nginx["environment"]


@dataclass
class Stack:
    """nginx on `base`, in front of two apps; the client's own address (a loopback address of its own)."""

    base: str
    apps: list[Served]
    client_address: str

    def client(self) -> httpx.Client:
        """A client that connects from `client_address`, as a visitor from elsewhere would."""
        transport = httpx.HTTPTransport(local_address=self.client_address)
        return httpx.Client(base_url=self.base, transport=transport, timeout=30)


def render(port: int, upstreams: list[int]) -> str:
    """The deploy template with its variables set, as the nginx image's entrypoint (envsubst) renders it."""
    text = TEMPLATE.read_text(encoding="utf-8")
    values = {
        "LABORWATCH_UPSTREAM_1": f"127.0.0.1:{upstreams[0]}",
        "LABORWATCH_UPSTREAM_2": f"127.0.0.1:{upstreams[1]}",
        "NGINX_PORT": f"127.0.0.1:{port}",
    }
    for name, value in values.items():
        text = text.replace(f"${{{name}}}", value)
    return text


def nginx_conf(prefix: Path, port: int, upstreams: list[int]) -> Path:
    """A main nginx.conf of this run (pid, logs, temp folders in `prefix`) including the rendered template."""
    (prefix / "conf.d").mkdir(parents=True)
    (prefix / "logs").mkdir()
    (prefix / "conf.d" / "laborwatch.conf").write_text(render(port, upstreams), encoding="utf-8")
    # As root, nginx's workers would switch to `nobody`, who cannot read a private temp folder.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / ('temp-' + kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "logs" / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix / "logs" / "access.log"};
{temp}
    include {prefix / "conf.d" / "laborwatch.conf"};
}}
""",
        encoding="utf-8",
    )
    return conf


@pytest.fixture
def stack(backend: str, database: Database, engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    if backend != "postgresql":
        pytest.skip("the deployment runs on PostgreSQL")
    if NGINX is None:
        pytest.skip("nginx is not installed")
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    redis_url = f"redis://127.0.0.1:6379/{uuid.uuid4().int % 15 + 1}"
    env = serve_env(
        database.url,
        limits_storage=redis_url,
        trusted_proxies='["127.0.0.1"]',
        rate_limit_auth_failures="5/hour",
        rate_limit_writes="100000/minute",
    )
    ports = [free_port(), free_port()]
    port = free_port()
    prefix = tmp_path / "nginx"
    conf = nginx_conf(prefix, port, ports)
    check = subprocess.run(  # noqa: S603 - the nginx of the machine, our own configuration
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs" / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    with serve(env, tmp_path, port=ports[0]) as first, serve(env, tmp_path, port=ports[1]) as second:
        nginx = subprocess.Popen(  # noqa: S603
            [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs" / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:

            def up() -> bool:
                try:
                    return httpx.get(f"{base}/health").status_code == 200
                except httpx.TransportError:
                    return False

            assert wait_until(up, 30), (prefix / "logs" / "error.log").read_text()
            # A loopback address of the visitor's own (Linux answers on all of 127.0.0.0/8), so that it
            # is not nginx's, which the apps trust.
            yield Stack(base, [first, second], an_address().replace("10.", "127.", 1))
        finally:
            nginx.send_signal(signal.SIGQUIT)  # graceful stop
            try:
                nginx.wait(timeout=20)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(timeout=20)


def logged_client(apps: list[Served], request_id: str) -> str:
    """The client address the app that answered `request_id` logged."""
    for app in apps:
        for line in app.log_text().splitlines():
            if request_id in line and '"client"' in line:
                return str(yaml.safe_load(line)["client"])
    raise AssertionError(f"no app logged {request_id}")


def test_nginx_in_front_of_two_apps_reads_writes_and_limits_once(stack: Stack) -> None:
    with stack.client() as client:
        facilities = client.get("/v1/facilities", params={"country": "RU"})
        assert facilities.status_code == 200
        assert facilities.json()["total"] == 2
        assert facilities.headers["content-type"] == "application/json"
        export = client.get("/v1/facilities", params={"format": "csv"})
        assert export.status_code == 200
        assert export.text.startswith("id,")

        # The address the app logs is the visitor's, not nginx's, even when the visitor claims another.
        request_id = f"deploy-{uuid.uuid4().hex[:12]}"
        forged = {"X-Request-ID": request_id, "X-Forwarded-For": "203.0.113.9"}
        assert client.get("/v1/reports", headers=forged).status_code == 200
        assert logged_client(stack.apps, request_id) == stack.client_address

        # Both apps answer (round robin), and the refused-key limit (5) is counted once across them.
        statuses = []
        for number in range(8):
            headers = {"Authorization": f"Bearer lw_wrong-{number}", "X-Request-ID": f"{request_id}-{number}"}
            statuses.append(client.post("/v1/reports", json=report_bundle(), headers=headers).status_code)
        assert statuses == [401] * 5 + [429] * 3
        answered_by = {
            index
            for index, app in enumerate(stack.apps)
            for number in range(8)
            if f"{request_id}-{number}" in app.log_text()
        }
        assert answered_by == {0, 1}

        # Head limits: what passes nginx gets laborwatch's problem documents; what nginx refuses, its own.
        long_url = client.get("/v1/facilities", params={"q": "x" * 9000})
        assert long_url.status_code == 414
        assert long_url.headers["content-type"] == "application/problem+json"
        assert "8192 bytes" in long_url.json()["detail"]
        big_head = client.get("/v1/facilities", headers={"X-Big-1": "y" * 9000, "X-Big-2": "y" * 9000})
        assert big_head.status_code == 431
        assert "16384 bytes" in big_head.json()["detail"]
        huge_url = client.get("/v1/facilities", params={"q": "x" * 40000})  # over nginx's 32 KiB
        assert huge_url.status_code == 414
        assert huge_url.headers["content-type"] == "application/problem+json"
        assert huge_url.json()["status"] == 414
        huge_header = client.get("/v1/facilities", headers={"X-Huge": "z" * 40000})
        assert huge_header.status_code == 431
        assert huge_header.headers["content-type"] == "application/problem+json"
        assert huge_header.json()["status"] == 431


def test_killing_one_app_loses_no_acknowledged_write(stack: Stack, engine: Engine) -> None:
    from api.auth.keys import Role, create_key
    from api.db.engine import write_session

    with write_session(engine) as session:
        key = create_key(session, "deploy-writer", Role.EDITOR)
    acknowledged: list[str] = []
    refused: list[int] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        with stack.client() as client:
            number = 0
            while not stop.is_set():
                report_id = f"kill-{worker}-{number}"
                number += 1
                try:
                    response = client.post(
                        "/v1/reports",
                        json=report_bundle(id=report_id),
                        headers={"Authorization": f"Bearer {key}"},
                    )
                except httpx.TransportError:
                    refused.append(0)
                    continue
                if response.status_code == 201:
                    acknowledged.append(report_id)
                else:
                    refused.append(response.status_code)

    writers = [threading.Thread(target=write, args=(worker,)) for worker in range(3)]
    for writer in writers:
        writer.start()
    try:
        assert wait_until(lambda: len(acknowledged) >= 15, 60)
        stack.apps[0].process.kill()  # SIGKILL, in the middle of writes
        stack.apps[0].process.wait(timeout=10)
        before = len(acknowledged)
        assert wait_until(lambda: len(acknowledged) >= before + 15, 60)  # the other app takes them all
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    with stack.client() as client:
        missing = [
            report_id
            for report_id in acknowledged
            if client.get(f"/v1/reports/{report_id}").status_code != 200
        ]
    assert missing == []
    # At most the writes in flight at the kill failed (each of the 3 writers had one at most).
    assert len(refused) <= 3, refused
