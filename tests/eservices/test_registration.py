"""Self-registration as a person or an organisation, and activation by a single-use link."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from eservices.models import AccountEvent, User
from eservices.registration import DATA_NOTICE_VERSION

from .accounts_helpers import NIP, PASSWORD, PERSON_PESEL, REGON, last_mail_to, link_in, travel

pytestmark = pytest.mark.django_db


def person_data(**overrides):
    data = {
        "first_name": "Anna",
        "last_name": "Nowak",
        "pesel": PERSON_PESEL,
        "email": "Anna.Nowak@example.pl",
        "phone": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_notice": "on",
    }
    data.update(overrides)
    return data


def org_data(**overrides):
    data = {
        "organisation_name": "Piekarnia Kłos sp. z o.o.",
        "nip": "526-104-08-28",
        "regon": REGON,
        "first_name": "Ewa",
        "last_name": "Kłos",
        "email": "biuro@piekarnia.example.pl",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_notice": "on",
    }
    data.update(overrides)
    return data


def register(client, kind="osoba", **data):
    url = reverse("eservices:register_form", kwargs={"kind": kind})
    return client.post(url, data)


def test_person_registers_inactive_and_gets_an_activation_link(client):
    response = register(client, **person_data())
    assert response.status_code == 302
    assert response.url == reverse("eservices:register_done")
    user = User.objects.get(email="anna.nowak@example.pl")
    assert not user.is_active
    assert user.kind == User.AccountKind.PERSON
    assert user.pesel == PERSON_PESEL
    assert PERSON_PESEL not in user.pesel_encrypted  # encrypted at rest
    assert user.data_notice_version.startswith(DATA_NOTICE_VERSION + " sha256:")
    assert user.data_notice_accepted_at is not None
    assert user.check_password(PASSWORD)
    message = last_mail_to("anna.nowak@example.pl")
    assert link_in(message).startswith("/konto/aktywacja/")
    assert AccountEvent.objects.filter(user=user, kind="registered").exists()


def test_organisation_registers_with_nip_and_regon(client):
    response = register(client, "firma", **org_data())
    assert response.status_code == 302
    user = User.objects.get(email="biuro@piekarnia.example.pl")
    assert user.kind == User.AccountKind.ORGANISATION
    assert user.nip == NIP  # dashes removed
    assert user.regon == REGON
    assert user.organisation_name == "Piekarnia Kłos sp. z o.o."


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        ("osoba", person_data(pesel="44051401358"), "pesel", "To nie jest prawidłowy PESEL"),
        ("osoba", person_data(pesel=""), "pesel", "To pole jest wymagane"),
        ("firma", org_data(nip="5261040827"), "nip", "To nie jest prawidłowy NIP"),
        ("firma", org_data(regon="012100785"), "regon", "To nie jest prawidłowy REGON"),
        ("firma", org_data(organisation_name=""), "organisation_name", "wymagane"),
        ("osoba", person_data(password2="inne-haslo-123"), "password2", "różnią"),
        ("osoba", person_data(password1="1234", password2="1234"), "password1", "za krótkie"),
        ("osoba", person_data(accept_notice=""), "accept_notice", "Potwierdź"),
    ],
)
def test_bad_input_gets_a_message_on_its_field_and_creates_nothing(
    client, kind, data, field, message
):
    response = register(client, kind, **data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    content = response.content.decode()
    assert f'id="id_{field}-error"' in content
    assert User.objects.count() == 0
    assert mail.outbox == []


def test_person_form_does_not_ask_for_nip_and_organisation_form_does_not_ask_for_pesel(client):
    person = client.get(reverse("eservices:register_form", kwargs={"kind": "osoba"}))
    org = client.get(reverse("eservices:register_form", kwargs={"kind": "firma"}))
    assert "pesel" in person.context["form"].fields and "nip" not in person.context["form"].fields
    assert "nip" in org.context["form"].fields and "pesel" not in org.context["form"].fields
    assert client.get("/konto/rejestracja/kosmita/").status_code == 404


def test_registering_a_taken_address_answers_the_same_and_tells_the_owner(client):
    owner = User.objects.create_user("anna.nowak@example.pl", PASSWORD)
    response = register(client, **person_data(password1="x" * 14, password2="x" * 14))
    assert response.status_code == 302
    assert response.url == reverse("eservices:register_done")
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    message = last_mail_to("anna.nowak@example.pl")
    assert "/konto/haslo/przypomnij/" in message.body
    assert "/konto/aktywacja/" not in message.body


def test_activation_link_activates_once_then_login_works(client):
    register(client, **person_data())
    path = link_in(last_mail_to("anna.nowak@example.pl"))
    # GET only asks to confirm: mail scanners that open links activate nothing.
    hop = client.get(path)
    assert hop.status_code == 302 and hop["Referrer-Policy"] == "no-referrer"
    page = client.get(hop.url)
    assert page.status_code == 200
    assert not User.objects.get().is_active
    response = client.post(path)
    assert response.status_code == 302
    assert User.objects.get().is_active
    again = client.post(path)
    assert again.status_code == 410
    assert "został już użyty" in again.content.decode()
    assert client.login(username="anna.nowak@example.pl", password=PASSWORD)
    kinds = set(AccountEvent.objects.values_list("kind", flat=True))
    assert {"registered", "activated"} <= kinds


def test_inactive_account_cannot_log_in(client):
    register(client, **person_data())
    response = client.post(
        reverse("eservices:login"), {"username": "anna.nowak@example.pl", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_expired_activation_link_is_refused(client):
    register(client, **person_data())
    path = link_in(last_mail_to("anna.nowak@example.pl"))
    with travel(72 * 3600 + 5):
        response = client.post(path)
    assert response.status_code == 410
    assert "wygasł" in response.content.decode()
    assert not User.objects.get().is_active


def test_tampered_activation_link_is_refused(client):
    register(client, **person_data())
    path = link_in(last_mail_to("anna.nowak@example.pl"))
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post(reverse("eservices:activate", kwargs={"token": tampered}))
    assert response.status_code == 400
    assert "nie jest prawidłowy" in response.content.decode()
    assert not User.objects.get().is_active


def test_activation_link_of_another_purpose_is_refused(client):
    from eservices import tokens

    register(client, **person_data())
    user = User.objects.get()
    reset_token = tokens.PASSWORD_RESET.make(user)
    response = client.post(reverse("eservices:activate", kwargs={"token": reset_token}))
    assert response.status_code == 400
    assert not User.objects.get().is_active


def test_login_page_offers_profil_zaufany_registration_and_reset(client):
    content = client.get(reverse("eservices:login")).content.decode()
    assert 'action="/konto/login-gov-pl/"' in content
    assert "Zaloguj przez login.gov.pl (Profil Zaufany)" in content
    assert reverse("eservices:register") in content
    assert reverse("eservices:password_reset") in content


def test_links_are_built_from_the_portal_base_url_not_the_host_header(client, settings):
    settings.PORTAL_BASE_URL = "https://e-uslugi.gmina.example"
    settings.ALLOWED_HOSTS = ["*"]
    client.post(
        reverse("eservices:register_form", kwargs={"kind": "osoba"}),
        person_data(),
        HTTP_HOST="evil.example",
    )
    body = last_mail_to("anna.nowak@example.pl").body
    assert "https://e-uslugi.gmina.example/konto/aktywacja/" in body
    assert "evil.example" not in body
