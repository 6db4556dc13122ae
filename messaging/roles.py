"""Grants of the messaging models to the staff roles (``eservices.roles``), applied by this
app's data migration through ``eservices.roles.grant_permissions``.

Clerks write templates, run campaigns, read the consent history and the messages sent, and
record consents given at the counter. Administrators configure: reminder rules, the approval
setting, and approve campaigns when approval is on.
"""

from eservices.roles import ADMINISTRATORS, CLERKS

CLERK_PERMISSIONS = (
    "messaging.add_messagetemplate",
    "messaging.change_messagetemplate",
    "messaging.delete_messagetemplate",
    "messaging.view_messagetemplate",
    "messaging.add_campaign",
    "messaging.change_campaign",
    "messaging.view_campaign",
    "messaging.view_delivery",
    "messaging.view_consentevent",
    "messaging.add_consentevent",
    "messaging.view_reminderrule",
    "messaging.view_suppression",
)

ADMINISTRATOR_PERMISSIONS = (
    "messaging.view_campaign",
    "messaging.approve_campaign",
    "messaging.view_messagetemplate",
    "messaging.view_delivery",
    "messaging.view_consentevent",
    "messaging.add_reminderrule",
    "messaging.change_reminderrule",
    "messaging.delete_reminderrule",
    "messaging.view_reminderrule",
    "messaging.view_suppression",
    "messaging.change_messagingsettings",
)

GRANTS: dict[str, tuple[str, ...]] = {
    CLERKS: CLERK_PERMISSIONS,
    ADMINISTRATORS: ADMINISTRATOR_PERMISSIONS,
}
