"""Staff SAML endpoints (outside the language prefix: the addresses are registered at the IdP)."""

app_name = "staff_sso"

urlpatterns: list = []
