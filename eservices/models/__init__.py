from .accounts import User, UserManager
from .receivables import (
    Installment,
    InterestRate,
    Ledger,
    LedgerEntry,
    LedgerParty,
    ReceivableType,
    ReminderCostRate,
    TaxedObject,
)
from .taxpayers import AccountLink, Mandate, Taxpayer, TaxpayerGroup

__all__ = [
    "AccountLink",
    "Installment",
    "InterestRate",
    "Ledger",
    "LedgerEntry",
    "LedgerParty",
    "Mandate",
    "ReceivableType",
    "ReminderCostRate",
    "TaxedObject",
    "Taxpayer",
    "TaxpayerGroup",
    "User",
    "UserManager",
]
