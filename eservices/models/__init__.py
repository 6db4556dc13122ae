from .accounts import User, UserManager
from .identity import ExternalIdentity
from .integration import DomainSystem, ImportBatch, OutboundEvent
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
    "DomainSystem",
    "ExternalIdentity",
    "ImportBatch",
    "Installment",
    "InterestRate",
    "Ledger",
    "LedgerEntry",
    "LedgerParty",
    "Mandate",
    "NoInterestThreshold",
    "OutboundEvent",
    "ReceivableType",
    "ReminderCostRate",
    "TaxedObject",
    "Taxpayer",
    "TaxpayerGroup",
    "User",
    "UserManager",
]
