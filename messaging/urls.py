"""Resident pages of messaging, under the language prefix (Polish at /, English at /en/)."""

app_name = "messaging"

urlpatterns: list = []
