"""Staff roles: Redaktorzy (editors), Urzędnicy (clerks), Administratorzy (administrators).

The roles are data: a migration calls ``sync_roles`` to create the groups and grant what is
listed here. eservices adds its models' permissions to ``ROLES`` and ships a migration that
calls ``sync_roles`` again; other apps (payments, messaging, surveys, cases) keep their grants
in their own ``roles.py`` and call ``grant_permissions`` from their own data migration, so no
app edits another's migrations. Syncing only *adds*: permissions an administrator granted by
hand are never taken away by a deployment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EDITORS = "Redaktorzy"
CLERKS = "Urzędnicy"
ADMINISTRATORS = "Administratorzy"

# Wagtail creates these two in its first migration; our three roles replace them.
WAGTAIL_DEFAULT_GROUPS = ("Moderators", "Editors")

ACCESS_ADMIN = "wagtailadmin.access_admin"


@dataclass(frozen=True)
class Role:
    name: str
    # "app_label.codename"
    permissions: tuple[str, ...] = ()
    # Page permission types granted on the root page (inherited by the whole tree).
    page_permissions: tuple[str, ...] = ()
    # Collection permissions granted on the root collection: "app_label.codename".
    collection_permissions: tuple[str, ...] = ()
    description: str = field(default="", compare=False)


# Receivables in the admin ("Należności"): what comes from the domain system is read-only
# (taxpayers, ledgers, entries have only "view"); groups are the clerks' own; receivable types
# and the rate tables are edited by administrators. Running the defined queries needs
# view_taxpayer and view_ledger (eservices.admin_views.QUERY_PERMISSIONS).
RECEIVABLES_VIEW = (
    "eservices.view_taxpayer",
    "eservices.view_ledger",
    "eservices.view_ledgerentry",
    "eservices.view_taxpayergroup",
    "eservices.view_receivabletype",
    "eservices.view_interestrate",
    "eservices.view_nointerestthreshold",
    "eservices.view_remindercostrate",
)
TAXPAYER_GROUPS_EDIT = (
    "eservices.add_taxpayergroup",
    "eservices.change_taxpayergroup",
)
RATE_TABLES_EDIT = (
    "eservices.add_receivabletype",
    "eservices.change_receivabletype",
    "eservices.add_interestrate",
    "eservices.change_interestrate",
    "eservices.delete_interestrate",
    "eservices.add_nointerestthreshold",
    "eservices.change_nointerestthreshold",
    "eservices.delete_nointerestthreshold",
    "eservices.add_remindercostrate",
    "eservices.change_remindercostrate",
    "eservices.delete_remindercostrate",
)

# Residents' accounts in the admin: accounts created at the counter ("add"), link requests
# decided, account links and proxies managed; the activity log read. Clerks never get the
# user permissions (those would open the staff user admin).
RESIDENTS_MANAGE = (
    "eservices.view_residentaccount",
    "eservices.add_residentaccount",
    "eservices.change_residentaccount",
    "eservices.view_linkrequest",
    "eservices.change_linkrequest",
    "eservices.view_accountlink",
    "eservices.change_accountlink",
    "eservices.view_mandate",
    "eservices.add_mandate",
    "eservices.change_mandate",
    "eservices.view_accountevent",
)

ROLES: tuple[Role, ...] = (
    Role(
        name=EDITORS,
        description="Maintain the portal's pages, images and documents.",
        permissions=(
            ACCESS_ADMIN,
            "wagtailsearchpromotions.add_searchpromotion",
            "wagtailsearchpromotions.change_searchpromotion",
            "wagtailsearchpromotions.delete_searchpromotion",
            "wagtailredirects.add_redirect",
            "wagtailredirects.change_redirect",
            "wagtailredirects.delete_redirect",
            "simple_translation.submit_translation",
        ),
        page_permissions=(
            "add_page",
            "change_page",
            "publish_page",
            "lock_page",
            "unlock_page",
        ),
        collection_permissions=(
            "wagtailimages.add_image",
            "wagtailimages.change_image",
            "wagtailimages.choose_image",
            "wagtailimages.delete_image",
            "wagtaildocs.add_document",
            "wagtaildocs.change_document",
            "wagtaildocs.choose_document",
            "wagtaildocs.delete_document",
        ),
    ),
    Role(
        name=CLERKS,
        description="Serve residents: accounts, links, proxies, receivables, campaigns.",
        # Clerks see residents through the e-services views, not Wagtail's staff user admin.
        permissions=(ACCESS_ADMIN, *RECEIVABLES_VIEW, *TAXPAYER_GROUPS_EDIT, *RESIDENTS_MANAGE),
    ),
    Role(
        name=ADMINISTRATORS,
        description="Manage staff accounts and roles, settings and logs.",
        permissions=(
            ACCESS_ADMIN,
            "eservices.add_user",
            "eservices.change_user",
            "eservices.delete_user",
            "eservices.view_user",
            "auth.add_group",
            "auth.change_group",
            "auth.delete_group",
            "auth.view_group",
            "home.change_municipalitysettings",
            "home.change_navigationsettings",
            "wagtailcore.add_site",
            "wagtailcore.change_site",
            "wagtailcore.add_locale",
            "wagtailcore.change_locale",
            "wagtailcore.add_collection",
            "wagtailcore.change_collection",
            "wagtailcore.add_workflow",
            "wagtailcore.change_workflow",
            "wagtailcore.add_task",
            "wagtailcore.change_task",
            "wagtailredirects.add_redirect",
            "wagtailredirects.change_redirect",
            "wagtailredirects.delete_redirect",
            *RECEIVABLES_VIEW,
            *TAXPAYER_GROUPS_EDIT,
            "eservices.delete_taxpayergroup",
            *RATE_TABLES_EDIT,
            # Import history with the errors of each batch (read-only).
            "eservices.view_importbatch",
            *RESIDENTS_MANAGE,
        ),
    ),
)


def ensure_permissions_exist(apps) -> None:
    """Create the Permission rows of every installed model now.

    Django makes them in post_migrate, which is too late for a data migration that grants them.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def _model_not_migrated_yet(apps, app_label: str, codename: str) -> bool:
    """Whether ``codename`` ("view_taxpayer") names a model that ``apps`` does not have yet.

    An early migration calls `sync_roles` with the historical models of its day, while ROLES
    already lists permissions of models created by later migrations: those are skipped then,
    and granted by the later migration that calls `sync_roles` again. A misspelt permission of
    an existing model still fails (and the role tests check every listed one is granted).
    """
    action, _, model_name = codename.partition("_")
    if action not in ("add", "change", "delete", "view") or not model_name:
        return False
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return True
    return False


def sync_roles(apps, schema_editor=None) -> None:
    """Create the three role groups and grant them what ROLES lists (idempotent, additive).

    Permissions of models that ``apps`` does not have yet are left for a later migration.
    """
    ensure_permissions_exist(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    def permission(dotted: str):
        app_label, codename = dotted.split(".", 1)
        try:
            return Permission.objects.get(content_type__app_label=app_label, codename=codename)
        except Permission.DoesNotExist:
            if _model_not_migrated_yet(apps, app_label, codename):
                return None
            raise

    Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS, user__isnull=True).delete()
    root_page = Page.objects.filter(depth=1).first()
    root_collection = Collection.objects.filter(depth=1).first()
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role.name)
        granted = (permission(p) for p in role.permissions)
        group.permissions.add(*(p for p in granted if p is not None))
        for codename in role.page_permissions:
            GroupPagePermission.objects.get_or_create(
                group=group, page=root_page, permission=permission(f"wagtailcore.{codename}")
            )
        for dotted in role.collection_permissions:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=root_collection, permission=permission(dotted)
            )


def grant_permissions(apps, grants: dict[str, tuple[str, ...]]) -> None:
    """Grant ``{role name: ("app_label.codename", …)}`` from another app's data migration.

    Additive and idempotent like `sync_roles`; the role groups must exist (eservices' migration
    0002 creates them, so depend on it). Use as
    ``RunPython(lambda apps, se: grant_permissions(apps, GRANTS), RunPython.noop)``.
    """
    ensure_permissions_exist(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role_name, dotted_names in grants.items():
        group, _ = Group.objects.get_or_create(name=role_name)
        for dotted in dotted_names:
            app_label, codename = dotted.split(".", 1)
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
