"""Staff security: the second factor for the Wagtail admin, login lock-outs and HTTP headers.

- ``forms.StaffLoginForm``: Wagtail's login with a TOTP or backup code (django-otp).
- ``middleware.RequireVerifiedStaffMiddleware``: no /admin/ page without a verified device.
- ``views``: enrolment (QR code), verification and backup codes, under /admin/2fa/.
- ``lockout.cool_off``: django-axes cool-off tiers.
- ``csp.SecurityHeadersMiddleware``: CSP, Permissions-Policy, Cache-Control: no-store.
"""
