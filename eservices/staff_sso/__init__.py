"""Single sign-on for staff through the municipality's own SAML identity provider."""
