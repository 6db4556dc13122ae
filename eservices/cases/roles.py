"""Grants of the cases app: editors maintain the catalogue, clerks handle the cases."""

from eservices.roles import CLERKS, EDITORS

GRANTS: dict[str, tuple[str, ...]] = {
    # Pages are granted on the tree (eservices.roles); departments are snippets on the pages.
    EDITORS: (
        "cases.add_department",
        "cases.change_department",
        "cases.delete_department",
        "cases.view_department",
    ),
    CLERKS: (
        "cases.view_case",
        "cases.change_case",
        "cases.view_department",
    ),
}
