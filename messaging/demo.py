"""Demo messaging: consents of the demo residents, templates, reminder rules and one campaign
that has been sent (its messages recorded as sent, nothing actually delivered). Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from . import placeholders
from .campaigns import materialise
from .consents import Evidence, set_consent
from .models import (
    Campaign,
    Category,
    Channel,
    ConsentEvent,
    Delivery,
    MessageTemplate,
    ReminderRule,
    VerifiedPhone,
)

TEMPLATES = [
    {
        "name": "Zaległość – przypomnienie (e-mail)",
        "channel": Channel.EMAIL,
        "category": Category.OVERDUE,
        "source": "total_arrears",
        "subject": "Przypomnienie o zaległości wobec Gminy Przykładowo",
        "text": (
            "Dzień dobry ((imie)),\n\n"
            "według naszych danych na dzień dzisiejszy zaległość wynosi ((kwota_zaleglosci))"
            "((koszty_upomnienia?? wraz z kosztami upomnienia)). Najstarszy termin płatności: "
            "((najstarszy_termin)).\n\nMożna zapłacić w portalu e-Usługi.\n\n"
            "Urząd Gminy Przykładowo"
        ),
        "html": "",
    },
    {
        "name": "Termin raty – przypomnienie (SMS)",
        "channel": Channel.SMS,
        "category": Category.UPCOMING_DUES,
        "source": placeholders.REMINDER,
        "subject": "",
        "text": "Gmina Przykładowo: zbliża się termin płatności ((naleznosc)), rata ((rata)), "
        "termin ((termin)). Info: tel. 12 345 67 89.",
        "html": "",
    },
    {
        "name": "Rata po terminie (e-mail)",
        "channel": Channel.EMAIL,
        "category": Category.OVERDUE,
        "source": placeholders.REMINDER,
        "subject": "Minął termin płatności raty ((rata))",
        "text": "Dzień dobry ((imie)),\n\nminął termin płatności ((termin)) – ((naleznosc)), "
        "rata ((rata)). Do zapłaty pozostało ((kwota)).\n\nUrząd Gminy Przykładowo",
        "html": "",
    },
    {
        "name": "Zaproszenie do ankiety (e-mail)",
        "channel": Channel.EMAIL,
        "category": Category.NEWS,
        "source": placeholders.NEWS,
        "subject": "Prosimy o opinię: ankieta Gminy Przykładowo",
        "text": "Dzień dobry ((imie)),\n\nzapraszamy do wypełnienia ankiety: ((link))\n\n"
        "Urząd Gminy Przykładowo",
        "html": "<p>Dzień dobry ((imie)),</p><p>zapraszamy do wypełnienia "
        '<a href="((link))">ankiety</a>.</p><p>Urząd Gminy Przykładowo</p>',
    },
]


def load(report) -> None:
    User = get_user_model()
    jan = User.objects.filter(email="jan.kowalski@przykladowo.example").first()
    maria = User.objects.filter(email="maria.nowak@przykladowo.example").first()
    if jan is None:
        return
    templates = {}
    for spec in TEMPLATES:
        template, _created = MessageTemplate.objects.get_or_create(name=spec["name"], defaults=spec)
        templates[spec["name"]] = template
    ReminderRule.objects.get_or_create(
        name="7 dni przed terminem (SMS)",
        defaults={
            "kind": ReminderRule.Kind.BEFORE,
            "days": 7,
            "template": templates["Termin raty – przypomnienie (SMS)"],
        },
    )
    ReminderRule.objects.get_or_create(
        name="14 dni po terminie (e-mail)",
        defaults={
            "kind": ReminderRule.Kind.AFTER,
            "days": 14,
            "template": templates["Rata po terminie (e-mail)"],
        },
    )
    VerifiedPhone.objects.get_or_create(user=jan, defaults={"phone": "+48600100200"})
    portal = Evidence(source=ConsentEvent.Source.PORTAL, ip_address="127.0.0.1")
    for channel, category in [
        (Channel.EMAIL, Category.UPCOMING_DUES),
        (Channel.EMAIL, Category.OVERDUE),
        (Channel.EMAIL, Category.PAYMENT_BOOKED),
        (Channel.EMAIL, Category.NEWS),
        (Channel.SMS, Category.UPCOMING_DUES),
    ]:
        set_consent(jan, channel, category, True, portal)
    if maria is not None:
        set_consent(maria, Channel.EMAIL, Category.NEWS, True, portal)

    campaign, created = Campaign.objects.get_or_create(
        name="Zaległości – przypomnienie (demo)",
        defaults={
            "template": templates["Zaległość – przypomnienie (e-mail)"],
            "query_code": "total_arrears",
            "query_params": {"as_of": timezone.localdate().isoformat()},
        },
    )
    if created:
        materialise(campaign)
        now = timezone.now()
        campaign.deliveries.update(
            status=Delivery.Status.DELIVERED,
            to="jan.kowalski@przykladowo.example",
            attempts=1,
            sent_at=now,
            completed_at=now,
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.FINISHED, finished_at=now
        )
    report.section(
        "Powiadomienia",
        [
            "Jan Kowalski: zgody e-mail (terminy, zaległości, płatności, aktualności) i SMS "
            "(terminy) na zweryfikowany numer +48600100200",
            "Szablony e-mail i SMS, reguły przypomnień 7 dni przed i 14 dni po terminie",
            f"Wysłana kampania: {campaign.name} ({campaign.deliveries.count()} wiadomości)",
        ],
    )
