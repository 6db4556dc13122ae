"""The storage of case attachments: files on disk that have no public URL at all."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Like FileSystemStorage, but ``url()`` refuses: these files are served only by views that
    check who is asking (`eservices.cases.views.attachment`), never by the web server."""

    def url(self, name: str | None) -> str:
        raise ValueError("Case attachments have no public URL; serve them through a view.")
