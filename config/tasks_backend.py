"""Runs Wagtail's django-tasks (reference index, renditions, cache purges) on Celery workers.

django-tasks ships only an immediate and a dummy backend; a database-polling worker would be a
second queue next to Celery. This backend hands each task to one generic Celery task, so
Wagtail's housekeeping uses the same broker, workers and monitoring as everything else.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_module_path, get_random_id, normalize_json


class CeleryTaskBackend(BaseTaskBackend):
    supports_defer = True
    supports_priority = False
    supports_async_task = False

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
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
        run_django_task.apply_async(
            args=(get_module_path(task.func), result.args, result.kwargs),
            queue=task.queue_name,
            eta=task.run_after,
            task_id=result.id,
        )
        task_enqueued.send(type(self), task_result=result)
        return result


@shared_task(name="config.run_django_task", ignore_result=True)
def run_django_task(func_path: str, args: list, kwargs: dict) -> None:
    task = import_string(func_path)
    task.call(*args, **kwargs)
