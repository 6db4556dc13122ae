"""config.tasks_backend.CeleryTaskBackend hands Wagtail's django-tasks to Celery.

Two layers: in-process with Celery in eager mode (fast, always runs), and a real
`celery -A config worker` subprocess on Redis that picks the task up from the broker, the way
production runs it (skipped on a laptop without Redis, never in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskContext, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError

from config.celery import app as celery_app
from config.tasks_backend import run_django_task

REPO_ROOT = Path(settings.BASE_DIR)
WORKER_WAIT_SECONDS = 30


# --- Tasks the tests enqueue. Module level, so that a worker process can import them too. -----


@task()
def write_marker(path: str, text: str) -> str:
    """An effect another process can see: a file with the given text."""
    Path(path).write_text(text, encoding="utf-8")
    return text


@task(takes_context=True)
def write_marker_with_context(context: TaskContext, path: str) -> None:
    Path(path).write_text(context.task_result.id, encoding="utf-8")


# --- Helpers ------------------------------------------------------------------------------------


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture
def celery_tasks(settings):
    """TASKS as production has it with a broker (base.py), Celery running tasks in-process."""
    settings.TASKS = {
        "default": {
            "BACKEND": "config.tasks_backend.CeleryTaskBackend",
            "QUEUES": ["default", "reports"],
        }
    }
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def sent(celery_tasks):
    """Records what the backend hands to Celery (and still lets it run)."""
    with mock.patch.object(
        run_django_task, "apply_async", wraps=run_django_task.apply_async
    ) as apply_async:
        yield apply_async


# --- Eager mode: the backend's plumbing, in-process --------------------------------------------


def test_the_generic_celery_task_is_registered_on_the_project_app():
    assert run_django_task.name == "config.run_django_task"
    assert "config.run_django_task" in celery_app.tasks


def test_enqueue_runs_the_task_through_celery(sent, tmp_path):
    marker = tmp_path / "marker.txt"
    result = write_marker.enqueue(str(marker), "zrobione")

    assert marker.read_text(encoding="utf-8") == "zrobione"
    sent.assert_called_once()
    assert sent.call_args.kwargs["args"] == (
        "tests.config.test_celery_tasks_backend.write_marker",
        [str(marker), "zrobione"],
        {},
    )
    assert sent.call_args.kwargs["task_id"] == result.id
    assert result.status == TaskResultStatus.READY
    assert result.backend == "default"
    assert result.enqueued_at is not None


def test_default_queue_goes_to_celerys_default_queue(sent, tmp_path):
    # A plain `celery -A config worker` consumes only Celery's default queue ("celery").
    write_marker.enqueue(str(tmp_path / "a"), "a")
    assert "queue" not in sent.call_args.kwargs

    write_marker.using(queue_name="reports").enqueue(str(tmp_path / "b"), "b")
    assert sent.call_args.kwargs["queue"] == "reports"


def test_task_with_context_gets_its_result_id(sent, tmp_path):
    marker = tmp_path / "context.txt"
    result = write_marker_with_context.enqueue(str(marker))
    assert marker.read_text(encoding="utf-8") == result.id


def test_run_after_becomes_the_celery_eta(sent, tmp_path):
    run_after = timezone.now() + timedelta(minutes=5)
    write_marker.using(run_after=run_after).enqueue(str(tmp_path / "later"), "later")
    assert sent.call_args.kwargs["eta"] == run_after


def test_run_after_beyond_the_visibility_timeout_is_refused(sent, tmp_path):
    # Redis would deliver the held-back message again after the timeout: it would run twice.
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:6379/5"
    try:
        with pytest.raises(InvalidTaskError, match="visibility timeout"):
            write_marker.using(run_after=timezone.now() + timedelta(days=2)).enqueue(
                str(tmp_path / "never"), "never"
            )
    finally:
        celery_app.conf.broker_url = saved
    sent.assert_not_called()


@pytest.mark.django_db
def test_inside_a_transaction_the_task_is_sent_on_commit(
    sent, tmp_path, django_capture_on_commit_callbacks
):
    marker = tmp_path / "on-commit.txt"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        write_marker.enqueue(str(marker), "po commit")
        # A worker must not see the message before the row it is about is committed.
        assert not marker.exists()
        sent.assert_not_called()
    assert len(callbacks) == 1
    assert marker.read_text(encoding="utf-8") == "po commit"


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(
    sent, tmp_path, django_capture_on_commit_callbacks
):
    marker = tmp_path / "rolled-back.txt"
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        write_marker.enqueue(str(marker), "nigdy")
        raise RuntimeError("rollback")
    assert callbacks == []
    sent.assert_not_called()
    assert not marker.exists()


@pytest.mark.django_db
def test_wagtail_updates_its_reference_index_through_celery(
    sent, django_capture_on_commit_callbacks
):
    from wagtail.models import Page, ReferenceIndex

    page = Page.objects.filter(depth=2).first()
    assert page is not None, "Wagtail's migrations create a root and a welcome page"
    with (
        mock.patch.object(ReferenceIndex, "create_or_update_for_object") as update,
        django_capture_on_commit_callbacks(execute=True),
    ):
        page.save()  # post_save -> wagtail.tasks.update_reference_index_task.enqueue()
        update.assert_not_called()

    assert sent.call_args.kwargs["args"][0] == "wagtail.tasks.update_reference_index_task"
    update.assert_called_once()
    assert update.call_args.args[0].pk == page.pk


# --- A real worker on Redis ----------------------------------------------------------------------


def _test_broker_url() -> str:
    """REDIS_URL's server with database 5, so the test never touches the data of DB 0."""
    if os.environ.get("CELERY_TEST_BROKER_URL"):
        return os.environ["CELERY_TEST_BROKER_URL"]
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit((parts.scheme, parts.netloc, "/5", "", ""))


def _redis_or_skip(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        reason = f"Redis is not reachable at {url}: {exc}"
        if _in_ci():
            pytest.fail(f"{reason} (CI must run the real-worker test)")
        pytest.skip(reason)
    return client


def _worker_env(broker_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        CELERY_TASK_ALWAYS_EAGER="false",
        REDIS_URL=broker_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=broker_url,
        PYTHONUNBUFFERED="1",
    )
    return env


# Runs in its own process, like a web process would: settings from the environment, a fresh
# Celery app pointed at Redis, the backend constructed explicitly (test settings keep the
# ImmediateBackend as TASKS["default"]).
_PRODUCER = """
import sys
import django

django.setup()
from config.tasks_backend import CeleryTaskBackend
from tests.config.test_celery_tasks_backend import write_marker

backend = CeleryTaskBackend("celery", {"QUEUES": ["default"]})
result = backend.enqueue(write_marker, [sys.argv[1], sys.argv[2]], {})
print(result.id)
"""


def test_real_worker_runs_a_task_enqueued_through_the_backend(tmp_path):
    broker_url = _test_broker_url()
    # No FLUSHDB: another checkout's suite may be using the same database at the same time.
    # A stale message from an interrupted run only makes this worker write a file nobody reads.
    client = _redis_or_skip(broker_url)
    env = _worker_env(broker_url)
    marker = tmp_path / "from-worker.txt"
    token = uuid.uuid4().hex
    log_path = tmp_path / "worker.log"

    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=pytest-{token[:8]}@%h",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        producer = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, "-c", _PRODUCER, str(marker), token],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert producer.returncode == 0, producer.stderr
        task_id = producer.stdout.strip().splitlines()[-1]

        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        while time.monotonic() < deadline and not marker.exists():
            assert worker.poll() is None, "the worker exited:\n" + log_path.read_text()
            time.sleep(0.2)
        assert marker.exists(), (
            f"no worker ran task {task_id} within {WORKER_WAIT_SECONDS} s; "
            f"broker keys: {client.keys()}\nworker log:\n{log_path.read_text()}"
        )
        assert marker.read_text(encoding="utf-8") == token
    finally:
        worker.terminate()  # warm shutdown
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
