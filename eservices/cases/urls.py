"""Resident pages of the cases app ("Moje sprawy"), under the language prefix."""

app_name = "cases"

urlpatterns: list = []
