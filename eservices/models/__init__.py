from .accounts import User, UserManager
from .identity import ExternalIdentity
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
    "ExternalIdentity",
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
