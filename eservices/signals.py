"""Signals eservices sends for other apps (messaging subscribes; eservices never imports it).

``case_status_changed`` — a resident's case (eservices.cases) got a new status. Keyword
arguments: ``case`` (the Case), ``user`` (the resident who filed it), ``status_label`` (the
new status, translated at send time), ``message`` (the clerk's message to the resident, may be
""), ``url`` (path of the case page under "Moje sprawy"). Sent on commit of the change.
"""

from django.dispatch import Signal

case_status_changed = Signal()
