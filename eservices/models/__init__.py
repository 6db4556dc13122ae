from .accounts import ResidentAccount, User, UserManager
from .activity import AccountEvent
from .identity import ExternalIdentity
from .integration import DomainSystem, ImportBatch, OutboundEvent
from .linking import LinkRequest
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
    "AccountEvent",
    "AccountLink",
    "DomainSystem",
    "ExternalIdentity",
    "ImportBatch",
    "Installment",
    "InterestRate",
    "Ledger",
    "LedgerEntry",
    "LedgerParty",
    "LinkRequest",
    "Mandate",
    "NoInterestThreshold",
    "OutboundEvent",
    "ReceivableType",
    "ReminderCostRate",
    "ResidentAccount",
    "TaxedObject",
    "Taxpayer",
    "TaxpayerGroup",
    "User",
    "UserManager",
]
