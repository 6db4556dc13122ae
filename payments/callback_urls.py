"""Addresses of payments outside the language prefix (called by machines: operators, mail clients).

They never change with the language, so the addresses registered with operators stay valid.
"""

app_name = "payments_callbacks"

urlpatterns: list = []
