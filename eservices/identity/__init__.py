"""Login through the national node login.gov.pl (Węzeł Krajowy, Profil Zaufany).

See ``docs``: PROTOCOLS.md §7. ``saml`` holds the message logic (pure functions over bytes),
``client`` the HTTP back-channel, ``views`` the thin Django layer, ``login`` the account side.
"""
