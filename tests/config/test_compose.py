"""The deployment files: docker-compose.yml, site/ (Dockerfile, gunicorn, nginx, env example).

No Docker engine is needed: the compose file is parsed and, when a compose implementation is
on PATH (`docker compose` or Debian's `docker-compose`), validated by it; gunicorn is started
for real with site/gunicorn.conf.py under the production settings and probed with the
container's own health check.
"""

from __future__ import annotations

import os
import re
import runpy
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings

REPO_ROOT = Path(settings.BASE_DIR)
SITE = REPO_ROOT / "site"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
LONG_RUNNING = ("web", "worker", "beat", "postgres", "redis")
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --- docker-compose.yml ---------------------------------------------------------------------


def test_the_five_services_exist_with_healthchecks(services):
    for name in LONG_RUNNING:
        assert name in services, name
        healthcheck = services[name].get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), name
        assert healthcheck["test"], name
        for key in ("interval", "timeout", "retries"):
            assert key in healthcheck, (name, key)


def test_healthchecks_probe_what_matters(services):
    def probe(name: str) -> str:
        return " ".join(services[name]["healthcheck"]["test"])

    assert "site/healthcheck.py" in probe("web")
    assert "/healthz" in (SITE / "healthcheck.py").read_text(encoding="utf-8")
    assert "urllib" in (SITE / "healthcheck.py").read_text(encoding="utf-8")
    assert "pg_isready" in probe("postgres")
    assert "redis-cli ping" in probe("redis")
    assert "celery -A config inspect ping" in probe("worker")
    assert "celerybeat.pid" in probe("beat")


def test_images_and_commands(services):
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["web"]["command"] == ["gunicorn", "--config", "site/gunicorn.conf.py"]
    assert services["worker"]["command"][:6] == ["celery", "-A", "config", "worker", "-l", "info"]
    assert services["beat"]["command"][:6] == ["celery", "-A", "config", "beat", "-l", "info"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    for name in APP_SERVICES:
        assert services[name]["build"]["dockerfile"] == "site/Dockerfile", name
        assert services[name]["image"] == services["web"]["image"], name


def test_beat_runs_exactly_once(services):
    beat = services["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert beat.get("scale", 1) == 1
    assert "replicas" not in beat.get("deploy", {}).get("resources", {})


def test_migrations_run_once_before_the_app_starts(services):
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
    if "nginx" in services:
        assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_environment_and_volumes(compose, services):
    for name in (*APP_SERVICES, "postgres"):
        env_file = services[name]["env_file"]
        assert (env_file if isinstance(env_file, str) else env_file[0]) == "site/.env", name
    assert "pgdata" in compose["volumes"]
    assert "media" in compose["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("web", "worker"):
        assert "media:/data/media" in services[name]["volumes"], name
    # The web port is for nginx only: Django trusts X-Forwarded-Proto from whoever reaches it.
    assert "ports" not in services["web"]


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [docker, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_a_compose_implementation_accepts_the_file(tmp_path):
    command = _compose_command()
    if command is None:
        pytest.skip("no compose implementation on PATH (apt-get install docker-compose)")
    # A copy with site/.env made from the example: compose refuses a missing env_file.
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copytree(SITE, tmp_path / "site", ignore=shutil.ignore_patterns(".env", "certs"))
    shutil.copy(SITE / "env.example", tmp_path / "site" / ".env")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    project = ["--project-directory", str(tmp_path), "-f", "docker-compose.yml"]
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [*command, *project, "config", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- site/ ----------------------------------------------------------------------------------


def test_site_is_not_a_python_package():
    # `site` is a standard-library module: site/ holds serving files and is never imported.
    assert not (SITE / "__init__.py").exists()


def test_dockerfile():
    dockerfile = (SITE / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "requirements/base.txt" in dockerfile
    assert "collectstatic --no-input" in dockerfile
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r'^CMD \["gunicorn", "--config", "site/gunicorn.conf.py"\]', dockerfile, re.M)
    # Secrets come from the environment at run time, never from the image.
    assert not re.search(r"^ENV .*SECRET_KEY", dockerfile, re.MULTILINE)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".git", ".venv", "site/.env", "db.sqlite3", "media", "static"):
        assert entry in ignored or f"/{entry}" in ignored or f"**/{entry}" in ignored, entry


def test_gunicorn_configuration(monkeypatch):
    for name in ("GUNICORN_BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_MAX_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(SITE / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "config.wsgi:application"
    assert conf["bind"] == "0.0.0.0:8000"
    assert 1 <= conf["workers"] <= 8
    assert conf["accesslog"] == "-"
    assert conf["timeout"] > 0
    assert conf["forwarded_allow_ips"]

    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    conf = runpy.run_path(str(SITE / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"]) == ("127.0.0.1:9000", 3)

    monkeypatch.delenv("WEB_CONCURRENCY")
    monkeypatch.setenv("GUNICORN_MAX_WORKERS", "1")
    assert runpy.run_path(str(SITE / "gunicorn.conf.py"))["workers"] == 1


def test_nginx_configuration():
    conf = (SITE / "nginx.conf").read_text(encoding="utf-8")
    active = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert "server web:8000;" in active
    assert re.search(r"location \^~ /media/private/ \{\s*return 404;", active)
    assert re.search(r"location /media/ \{\s*alias /srv/media/;", active)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in active
    assert "client_max_body_size 25m;" in active
    assert "gzip on;" in active
    for timeout in ("proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"):
        assert timeout in active
    assert "Strict-Transport-Security" not in active  # Django sends HSTS
    # The admin restriction is documented, ready to uncomment.
    assert re.search(r"#\s*location /admin/ \{", conf)
    assert re.search(r"#\s*allow ", conf)
    assert re.search(r"#\s*deny\s+all;", conf)


def _settings_variables() -> set[str]:
    pattern = re.compile(r"\benv(?:_bool|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
    names = set()
    for path in (REPO_ROOT / "config" / "settings").glob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def _serving_variables() -> set[str]:
    pattern = re.compile(r"os\.environ\.get\(\s*['\"]([A-Z][A-Z0-9_]*)['\"]")
    names = set()
    for path in SITE.glob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_env_example_documents_every_variable():
    lines = (SITE / "env.example").read_text(encoding="utf-8").splitlines()
    variable = re.compile(r"^(?:#\s?)?([A-Z][A-Z0-9_]*)=")
    documented = {}
    for index, line in enumerate(lines):
        match = variable.match(line)
        if match:
            above = lines[index - 1]
            assert above.startswith("#") and not variable.match(above), (
                f"{match.group(1)} needs a comment line of its own above it"
            )
            documented[match.group(1)] = line
    expected = _settings_variables() | _serving_variables() | {"DJANGO_SETTINGS_MODULE"}
    assert expected >= {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PAYMENT_GATEWAYS"}
    missing = sorted(expected - set(documented))
    assert not missing, f"site/env.example does not document {missing}"
    # Secrets are empty placeholders: production refuses to start until they are filled in.
    assert documented["SECRET_KEY"] == "SECRET_KEY="
    assert documented["POSTGRES_PASSWORD"] == "POSTGRES_PASSWORD="
    assert "demo" not in documented["PAYMENT_GATEWAYS"]
    assert documented["DEBUG"] == "DEBUG=false"
    assert any("secrets.token_urlsafe(64)" in line for line in lines)


# --- gunicorn + production settings + the web container's health check, for real -------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, str(SITE / "healthcheck.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _get(url: str, headers: dict[str, str]) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - local http URL
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_gunicorn_serves_healthz_under_production_settings(tmp_path):
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        if os.environ.get("CI"):
            pytest.fail("CI must run this against PostgreSQL (DATABASE_URL)")
        pytest.skip("production settings refuse anything but PostgreSQL: set DATABASE_URL")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=database_url,  # /healthz runs SELECT 1 on it
        FIELD_ENCRYPTION_KEYS=secrets.token_urlsafe(32),
        REDIS_URL="redis://127.0.0.1:6379/5",
        PAYMENT_GATEWAYS="transfer",
        ALLOWED_HOSTS="e-uslugi.example.pl",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        XDG_RUNTIME_DIR=str(tmp_path),  # gunicorn's control socket, apart from other runs
    )
    env.pop("DEBUG", None)
    env.pop("HEALTHCHECK_URL", None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, "-m", "gunicorn", "--config", str(SITE / "gunicorn.conf.py")],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            check = _healthcheck(env)
            if check.returncode == 0 or time.monotonic() > deadline:
                break
            assert server.poll() is None, "gunicorn exited:\n" + log_path.read_text()
            time.sleep(0.3)
        assert check.returncode == 0, check.stderr + "\n" + log_path.read_text()

        url = f"http://127.0.0.1:{port}/healthz"
        # Why the health check dresses up as the proxy: production answers anything else so.
        assert _get(url, {"Host": f"127.0.0.1:{port}"}) == 400
        assert _get(url, {"Host": "e-uslugi.example.pl"}) == 301
        proxied = {"Host": "e-uslugi.example.pl", "X-Forwarded-Proto": "https"}
        assert _get(url, proxied) == 200
        assert "/healthz" in log_path.read_text()  # access log on stdout
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)

    # And it fails when nothing answers.
    assert _healthcheck(env).returncode == 1
