from django.db import models


class AppendOnlyModel(models.Model):
    """Rows written once and never changed: a correction is a new row (ledger entries: an odpis
    plus a przypis; outbound events: consumers have already read what was published)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError(f"{self._meta.verbose_name_plural} are append-only: not changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.verbose_name_plural} are append-only: not deleted.")
