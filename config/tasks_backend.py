"""Runs Wagtail's django-tasks (reference index, renditions, cache purges) on Celery workers.

django-tasks ships only an immediate and a dummy backend; a database-polling worker would be a
second queue next to Celery. This backend hands each task to one generic Celery task, so
Wagtail's housekeeping uses the same broker, workers and monitoring as everything else.

Three things the hand-over has to get right:

- Queue: django-tasks calls its default queue "default", Celery calls its own "celery" and a
  plain `celery -A config worker` consumes only that. The django-tasks default queue therefore
  goes to Celery's default queue (CELERY_TASK_DEFAULT_QUEUE, routes); any other queue name is
  passed on as the Celery queue, which a worker must then consume (`-Q name`).
- Transactions: Wagtail enqueues from post_save, usually inside `transaction.atomic`. A worker
  that picks the message up before the commit would not see the row (or would see the old
  one), so inside an atomic block the message is published on commit, and not at all on
  rollback. Outside one it is published at once.
- Deferred tasks: with Redis as the broker, a message held back by an ETA longer than the
  visibility timeout is delivered again, so the task would run twice; such delays are refused.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from celery import current_app, shared_task
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_QUEUE_NAME
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskContext, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_module_path, get_random_id, normalize_json

# Transports that redeliver an unacknowledged message after broker_transport_options'
# visibility_timeout (Celery's default for them is one hour).
_VISIBILITY_TIMEOUT_TRANSPORTS = ("redis", "rediss", "sentinel", "sqs")
_DEFAULT_VISIBILITY_TIMEOUT = 3600


class CeleryTaskBackend(BaseTaskBackend):
    supports_defer = True
    supports_priority = False
    supports_async_task = False

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        self._check_delay(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        options: dict[str, Any] = {"task_id": result.id}
        if task.queue_name != DEFAULT_TASK_QUEUE_NAME:
            options["queue"] = task.queue_name
        if task.run_after is not None:
            options["eta"] = task.run_after
        send = partial(
            self._send,
            result,
            args=(get_module_path(task.func), result.args, result.kwargs),
            kwargs={"backend_alias": self.alias},
            **options,
        )
        using = self.options.get("DATABASE", DEFAULT_DB_ALIAS)
        if transaction.get_connection(using).in_atomic_block:
            transaction.on_commit(send, using=using)
        else:
            send()
        return result

    def _send(self, result: TaskResult, **apply_async_options: Any) -> None:
        run_django_task.apply_async(**apply_async_options)
        task_enqueued.send(type(self), task_result=result)

    @staticmethod
    def _check_delay(task: Task) -> None:
        if task.run_after is None:
            return
        conf = current_app.conf
        broker = str(conf.broker_url or "")
        if not broker.startswith(_VISIBILITY_TIMEOUT_TRANSPORTS):
            return
        limit = (conf.broker_transport_options or {}).get(
            "visibility_timeout", _DEFAULT_VISIBILITY_TIMEOUT
        )
        if task.run_after - timezone.now() >= timedelta(seconds=limit):
            raise InvalidTaskError(
                f"run_after is {limit} s or more ahead: the broker would deliver the task again "
                "after its visibility timeout and it would run twice. Schedule it with "
                "Celery beat instead."
            )


@shared_task(bind=True, name="config.run_django_task", ignore_result=True)
def run_django_task(
    self, func_path: str, args: list, kwargs: dict, backend_alias: str = "default"
) -> None:
    task = import_string(func_path)
    if not task.takes_context:
        task.call(*args, **kwargs)
        return
    now = timezone.now()
    result = TaskResult(
        task=task,
        id=self.request.id or get_random_id(),
        status=TaskResultStatus.RUNNING,
        enqueued_at=None,
        started_at=now,
        last_attempted_at=now,
        finished_at=None,
        args=args,
        kwargs=kwargs,
        backend=backend_alias,
        errors=[],
        worker_ids=[self.request.hostname or "celery"],
    )
    task.call(TaskContext(task_result=result), *args, **kwargs)
