"""Who may do what with surveys (granted by migration 0002 through eservices.roles).

Editors (Redaktorzy) build and publish surveys with the page permissions they hold on the whole
tree; clerks and administrators read the results and export the answers.
"""

from eservices.roles import ADMINISTRATORS, CLERKS

VIEW_RESULTS = "surveys.view_survey_results"

GRANTS: dict[str, tuple[str, ...]] = {
    CLERKS: (VIEW_RESULTS,),
    ADMINISTRATORS: (VIEW_RESULTS,),
}
