from .accounts import User, UserManager
from .receivables import (
    Installment,
    InterestRate,
    Ledger,
    LedgerEntry,
    LedgerParty,
    NoInterestThreshold,
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
    "NoInterestThreshold",
    "ReceivableType",
    "ReminderCostRate",
    "TaxedObject",
    "Taxpayer",
    "TaxpayerGroup",
    "User",
    "UserManager",
]
