from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from home import views as home_views

handler404 = "home.views.page_not_found"
handler500 = "home.views.server_error"

urlpatterns = [
    # Staff single sign-on (SAML) sits before the admin: its addresses are registered at the IdP.
    path("admin/sso/", include("eservices.staff_sso.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("healthz", home_views.healthz, name="healthz"),
    # Outside the language prefix: the addresses registered with login.gov.pl never change.
    path("konto/", include("eservices.identity.urls")),
    # The domain systems' API (django-ninja): /api/v1/… with its OpenAPI schema.
    path("api/", include("eservices.integration.urls")),
    # Called by machines (payment operators, SMS operators, mail clients' one-click unsubscribe).
    path("", include("payments.callback_urls")),
    path("", include("messaging.callback_urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Polish lives at /, English at /en/. Wagtail's catch-all router must stay last.
urlpatterns += i18n_patterns(
    path("szukaj/", home_views.search, name="search"),
    path("", include("eservices.urls")),
    path("", include("eservices.cases.urls")),
    path("", include("payments.urls")),
    path("", include("messaging.urls")),
    path("", include("surveys.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
