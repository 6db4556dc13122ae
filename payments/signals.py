"""Signals the payments app sends (messaging subscribes; payments never imports messaging).

``payment_booked`` — an online or transfer payment was booked on the taxpayer's ledger
(eservices.booking.book_payment) after the money arrived on the statement. Keyword arguments:
``payment`` (payments.Payment, or None for a statement line booked without a portal payment),
``taxpayer`` (eservices.Taxpayer), ``user`` (the account that paid, or None), ``amount``
(Decimal, PLN), ``booked_on`` (date), ``reference`` (str). Sent on transaction commit, once per
booking.
"""

from django.dispatch import Signal

payment_booked = Signal()

#: ``payments_booked`` — many statement lines were booked at once (a bank statement): one
#: signal per statement instead of one per line. Keyword argument ``bookings``: a list of
#: dicts with ``payment_booked``'s keyword arguments but ``taxpayer_id`` (int) for
#: ``taxpayer``: receivers load only the taxpayers they need. Sent on
#: transaction commit.
payments_booked = Signal()
