"""Resident pages of surveys, under the language prefix (Polish at /, English at /en/)."""

app_name = "surveys"

urlpatterns: list = []
