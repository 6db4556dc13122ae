"""Staff grants of the payments app, applied by the data migration (`grant_permissions`).

Clerks (Urzędnicy) see payments and statements, import statements and assign unmatched lines;
administrators also edit the fee table and refund online payments. Payments and statement
lines have no other write path in the admin.
"""

from eservices.roles import ADMINISTRATORS, CLERKS

VIEW = (
    "payments.view_payment",
    "payments.view_bankstatement",
    "payments.view_statementline",
    "payments.view_feeband",
)
CLERK_ACTIONS = ("payments.add_bankstatement", "payments.change_statementline")
FEE_TABLE_EDIT = ("payments.add_feeband", "payments.change_feeband", "payments.delete_feeband")
#: Asking an operator to return a payment: money leaves the municipality's account.
REFUND = ("payments.change_payment",)

GRANTS: dict[str, tuple[str, ...]] = {
    CLERKS: VIEW + CLERK_ACTIONS,
    ADMINISTRATORS: VIEW + CLERK_ACTIONS + FEE_TABLE_EDIT + REFUND,
}
