"""Messaging benchmark: a campaign's outbox, and the send throughput of one worker.

    export DATABASE_URL=postgres://…/gmina_bench          # with bench/generate.py's data
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/messaging.py [--recipients 100000] [--send 2000]

A campaign to a taxpayer group of ``--recipients`` taxpayers from the receivables bench data,
run through the production code (`messaging.campaigns`, `messaging.sending`, the real SMTP and
SerwerSMS channels) against the loopback fakes of `tests/fakes/`. Every figure comes with a
baseline measured in the same run and the ratio between them:

- outbox: seconds of `campaigns.materialise` (audience, accounts, consents, rendering, inserts)
  against a bare ``bulk_create`` of the same rows; the dry run (`campaigns.dry_run`) likewise;
- email: messages/s of the outbox drained as a worker drains it (`sending.drain_batch`: claim,
  consent/contact/suppression checks at send time, rate bucket, S/MIME + DKIM signing, SMTP to
  an aiosmtpd server on loopback, result recorded) against the floor — a bare loop that signs
  the same messages (`SmtpEmailChannel.build`) and sends them with ``smtplib`` on one
  connection, with no database; the pure transport share of the floor is reported too;
- SMS: messages/s of a campaign drained to the fake SerwerSMS API against a bare loop posting
  the same JSON requests with a ``requests`` session. The floor's session does not re-read the
  proxy environment on every request (``trust_env = False``), as the operator client does not
  either (`messaging.channels.operators`): that scan is not transport, and leaving it in the
  floor alone would flatter the ratio.

Email is measured twice from the same outbox: signed with S/MIME and DKIM (what a configured
office sends, and the issue's "signed email" with the optional DKIM on), and with S/MIME only;
``--no-dkim`` measures only the latter. The fake SMTP server's per-command INFO log
(aiosmtpd's ``mail.log``) is silenced: it cost the server thread, shared by floor and worker,
more than our code. Each section records the 1-minute load average when it ends.

Targets (issue 6): outbox for 100,000 < 60 s; email ≥ 100 messages/s per worker; ratio ≤ 2.

Setup, not timed: the bench taxpayers get accounts (``bench-msg-<taxpayer pk>@bench.example``),
verified account links, verified phones and granted email/SMS consents to municipal news (with
their history events, recorded as given at the counter), and the taxpayer groups the campaigns
address. It is done in bulk and only for what is missing, so a rerun reuses it. The campaigns
the bench creates are removed at the end (``--keep`` keeps them). The shared send rate
(`MessagingSettings.sends_per_second`) is lifted for the run and restored afterwards: the
benchmark measures the worker, not the configured throttle.

Results are printed and written to bench/results/messaging.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import smtplib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from eservices.models import AccountLink, Taxpayer, TaxpayerGroup  # noqa: E402
from messaging import campaigns, placeholders, sending  # noqa: E402
from messaging.channels.base import OutgoingEmail  # noqa: E402
from messaging.channels.email import SmtpEmailChannel  # noqa: E402
from messaging.consents import TEXT_VERSION  # noqa: E402
from messaging.models import (  # noqa: E402
    Campaign,
    Category,
    Channel,
    Consent,
    ConsentEvent,
    Delivery,
    MessageTemplate,
    MessagingSettings,
    VerifiedPhone,
)
from tests.fakes.serwersms import TOKEN as SERWERSMS_TOKEN  # noqa: E402
from tests.fakes.serwersms import FakeSerwerSms  # noqa: E402
from tests.fakes.smime import dkim_verify, make_test_pki, openssl_verify  # noqa: E402
from tests.fakes.smtp import FakeSmtpServer  # noqa: E402

User = get_user_model()
MARK = "bench-msg-"  # accounts the bench made: bench-msg-<taxpayer pk>@bench.example
DOMAIN = "@bench.example"
FROM = "e-uslugi@przykladowo.example"
CATEGORY = Category.NEWS
LINK = "https://przykladowo.example/ankieta/2026"
CHUNK = 5000


# --- Setup (not timed) ----------------------------------------------------------------------


def _email(taxpayer_id: int) -> str:
    return f"{MARK}{taxpayer_id}{DOMAIN}"


def _phone(taxpayer_id: int) -> str:
    return f"+48{500_000_000 + taxpayer_id}"  # E.164, a distinct mobile number per taxpayer


def ensure_recipients(count: int) -> list[int]:
    """Accounts, links, phones and consents for the first ``count`` bench taxpayers; their ids."""
    taxpayer_ids = list(
        Taxpayer.objects.filter(external_id__startswith="BENCH-TP-")
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    if len(taxpayer_ids) < count:
        sys.exit(f"Only {len(taxpayer_ids)} bench taxpayers: run bench/generate.py with more.")
    wanted = set(taxpayer_ids)
    with transaction.atomic():
        existing = {
            int(email[len(MARK) : -len(DOMAIN)]): pk
            for email, pk in User.objects.filter(
                email__startswith=MARK, email__endswith=DOMAIN
            ).values_list("email", "pk")
        }
        User.objects.bulk_create(
            [
                User(email=_email(tp), password="!bench-no-login", is_active=True)  # noqa: S106
                for tp in taxpayer_ids
                if tp not in existing
            ],
            batch_size=CHUNK,
        )
        users = {
            int(email[len(MARK) : -len(DOMAIN)]): pk
            for email, pk in User.objects.filter(
                email__startswith=MARK, email__endswith=DOMAIN
            ).values_list("email", "pk")
        }
        User.objects.filter(pk__in=[users[tp] for tp in taxpayer_ids], is_active=False).update(
            is_active=True
        )
        linked = set(
            AccountLink.objects.active()
            .filter(user__email__startswith=MARK)
            .values_list("taxpayer_id", flat=True)
        )
        AccountLink.objects.bulk_create(
            [
                AccountLink(user_id=users[tp], taxpayer_id=tp, method=AccountLink.Method.COUNTER)
                for tp in taxpayer_ids
                if tp not in linked
            ],
            batch_size=CHUNK,
        )
        VerifiedPhone.objects.bulk_create(
            [VerifiedPhone(user_id=users[tp], phone=_phone(tp)) for tp in taxpayer_ids],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
        # Consents as `messaging.consents` keeps them: the state and its history event together;
        # only for accounts without one, so a rerun (or a withdrawal since) is left alone.
        have = set(
            Consent.objects.filter(user__email__startswith=MARK, category=CATEGORY).values_list(
                "user_id", "channel"
            )
        )
        now = timezone.now()
        missing = [
            (users[tp], channel, tp)
            for tp in taxpayer_ids
            for channel in (Channel.EMAIL, Channel.SMS)
            if (users[tp], channel) not in have
        ]
        Consent.objects.bulk_create(
            [
                Consent(user_id=u, channel=c, category=CATEGORY, granted=True, updated_at=now)
                for u, c, _tp in missing
            ],
            batch_size=CHUNK,
        )
        ConsentEvent.objects.bulk_create(
            [
                ConsentEvent(
                    user_id=u,
                    channel=c,
                    category=CATEGORY,
                    action=ConsentEvent.Action.GRANTED,
                    source=ConsentEvent.Source.COUNTER,
                    text_version=TEXT_VERSION,
                    contact_value=_email(tp) if c == Channel.EMAIL else _phone(tp),
                    document_reference="bench/messaging.py",
                    created_at=now,
                )
                for u, c, tp in missing
            ],
            batch_size=CHUNK,
        )
    assert wanted <= set(users)
    return taxpayer_ids


def ensure_group(taxpayer_ids: list[int]) -> TaxpayerGroup:
    group, _created = TaxpayerGroup.objects.get_or_create(
        name=f"Bench messaging {len(taxpayer_ids)}",
        defaults={"description": "Made by bench/messaging.py"},
    )
    if group.members.count() != len(taxpayer_ids):
        Through = TaxpayerGroup.members.through
        with transaction.atomic():
            Through.objects.filter(taxpayergroup_id=group.pk).delete()
            Through.objects.bulk_create(
                [Through(taxpayergroup_id=group.pk, taxpayer_id=tp) for tp in taxpayer_ids],
                batch_size=CHUNK,
            )
    return group


def _template(channel: str) -> MessageTemplate:
    if channel == Channel.EMAIL:
        fields = {
            "subject": "((imie)), zapraszamy na konsultacje budżetu",
            "text": "Dzień dobry ((nazwa)),\n\nzapraszamy do udziału w konsultacjach budżetu "
            "obywatelskiego na 2027 rok. Ankieta: ((link))\n\nUrząd Gminy Przykładowo\n",
            "html": "<p>Dzień dobry ((nazwa)),</p><p>zapraszamy do udziału w konsultacjach "
            'budżetu obywatelskiego. <a href="((link))">Ankieta</a></p>',
        }
    else:
        fields = {"text": "Gmina Przykładowo: ((imie)), zapraszamy do ankiety ((link))"}
    template, _created = MessageTemplate.objects.update_or_create(
        name=f"Bench {channel}",
        defaults={
            "channel": channel,
            "category": CATEGORY,
            "source": placeholders.GROUP,
            "transliterate": True,
            **fields,
        },
    )
    return template


def new_campaign(channel: str, group: TaxpayerGroup) -> Campaign:
    campaign = Campaign.objects.create(
        name=f"Bench {channel} {timezone.now():%Y-%m-%d %H:%M:%S}",
        template=_template(channel),
        group=group,
        link=LINK,
    )
    campaigns.validate_campaign(campaign)
    return campaign


def _send_as_worker(campaign: Campaign, count: int) -> int:
    """Drain ``count`` rows the way `tasks.drain_campaign` does (status check, then a batch)."""
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    batch = getattr(settings, "MESSAGING_BATCH_SIZE", sending.BATCH_SIZE)
    done = 0
    while done < count:
        if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).exists():
            break
        claimed = sending.drain_batch(campaign.pk, min(batch, count - done))
        if not claimed:
            break
        done += claimed
    return done


# --- Outbox -----------------------------------------------------------------------------------


def bench_outbox(group: TaxpayerGroup, recipients: int, dry: bool) -> tuple[Campaign, dict]:
    campaign = new_campaign(Channel.EMAIL, group)
    result: dict = {"recipients": recipients, "target_seconds": 60.0}
    if dry:
        started = time.perf_counter()
        plan = campaigns.dry_run(campaign)
        result["dry_run_seconds"] = time.perf_counter() - started
        result["dry_run_will_send"] = plan.will_send
    started = time.perf_counter()
    rows = campaigns.materialise(campaign)
    seconds = time.perf_counter() - started
    if rows != recipients:
        sys.exit(f"The outbox has {rows} rows for {recipients} recipients.")
    # Baseline: the same rows (same texts) written with a bare bulk_create, then rolled back.
    run = f"{int(time.time())}"
    same = [
        Delivery(
            key=f"bench-raw-{run}-{user_id}",
            user_id=user_id,
            taxpayer_id=taxpayer_id,
            channel=Channel.EMAIL,
            category=CATEGORY,
            subject=subject,
            body=body,
            html=html,
        )
        for user_id, taxpayer_id, subject, body, html in campaign.deliveries.values_list(
            "user_id", "taxpayer_id", "subject", "body", "html"
        ).iterator(chunk_size=CHUNK)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        Delivery.objects.bulk_create(same, batch_size=campaigns.INSERT_CHUNK)
        baseline = time.perf_counter() - started
        transaction.set_rollback(True)
    result.update(
        load_average_after=os.getloadavg()[0],
        rows=rows,
        seconds=seconds,
        rows_per_second=rows / seconds,
        baseline_seconds=baseline,
        ratio=seconds / baseline,
    )
    if dry:
        result["dry_run_ratio"] = result["dry_run_seconds"] / baseline
    return campaign, result


# --- Email ------------------------------------------------------------------------------------


def bench_email(campaign: Campaign, count: int, pki_dir: Path, dkim: bool = True) -> dict:
    pki = make_test_pki(pki_dir, FROM)
    dkim_settings = {
        "MESSAGING_DKIM_DOMAIN": pki.dkim_domain if dkim else "",
        "MESSAGING_DKIM_SELECTOR": pki.dkim_selector if dkim else "",
        "MESSAGING_DKIM_KEY": pki.dkim_key_pem if dkim else "",
    }
    with (
        FakeSmtpServer() as smtp,
        override_settings(
            **smtp.django_settings(),
            MESSAGING_EMAIL_FROM=f"Urząd Gminy Przykładowo <{FROM}>",
            MESSAGING_SMIME_CERTIFICATE=pki.signer_cert_pem,
            MESSAGING_SMIME_KEY=pki.signer_key_pem,
            **dkim_settings,
        ),
    ):
        rows = list(
            campaign.deliveries.filter(status=Delivery.Status.CREATED)
            .select_related("user")
            .order_by("pk")[:count]
        )
        count = len(rows)
        # The floor: the same messages, signed the same way, over one smtplib connection.
        channel = SmtpEmailChannel()
        started = time.perf_counter()
        envelopes = []
        for row in rows:
            message = OutgoingEmail(
                to=row.user.email,
                subject=row.subject,
                text=row.body,
                html=row.html,
                unsubscribe_url=sending.unsubscribe_url(row.user_id, row.channel, row.category),
                reference=str(row.pk),
            )
            envelopes.append((message.to, channel.build(message)))
        built = time.perf_counter()
        with smtplib.SMTP(smtp.host, smtp.port) as client:
            for to, raw in envelopes:
                client.sendmail(FROM, [to], raw)
        floor = time.perf_counter() - started
        transport = time.perf_counter() - built
        if len(smtp.messages) != count:
            sys.exit(f"The floor delivered {len(smtp.messages)} of {count} emails.")
        smtp.messages.clear()

        started = time.perf_counter()
        sent = _send_as_worker(campaign, count)
        seconds = time.perf_counter() - started
        received = len(smtp.messages)
        statuses = dict(
            Delivery.objects.filter(pk__in=[row.pk for row in rows])
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        if sent != count or received != count or statuses != {Delivery.Status.SENT: count}:
            sys.exit(f"Email: claimed {sent}, received {received}, statuses {statuses}.")
        sample = smtp.messages[-1].data
        smime_ok, output = openssl_verify(sample, pki.ca_path)
        if not (smime_ok and (not dkim or dkim_verify(sample, pki))):
            sys.exit(f"The sent email does not verify: {output}")
    return {
        "messages": count,
        "seconds": seconds,
        "messages_per_second": count / seconds,
        "baseline_seconds": floor,
        "baseline_messages_per_second": count / floor,
        "baseline_signing_seconds": floor - transport,
        "baseline_transport_seconds": transport,
        "ratio": seconds / floor,
        "signed_with": "S/MIME and DKIM" if dkim else "S/MIME only (--no-dkim)",
        "verified": "one sample: openssl smime -verify" + (", dkimpy verify" if dkim else ""),
        "target_messages_per_second": 100,
        "target_ratio": 2.0,
        "load_average_after": os.getloadavg()[0],
    }


# --- SMS --------------------------------------------------------------------------------------


def bench_sms(group: TaxpayerGroup, count: int) -> tuple[Campaign, dict]:
    campaign = new_campaign(Channel.SMS, group)
    started = time.perf_counter()
    campaigns.materialise(campaign)
    outbox = time.perf_counter() - started
    with (
        FakeSerwerSms() as operator,
        override_settings(
            MESSAGING_SMS_PROVIDER="serwersms",
            MESSAGING_SERWERSMS_URL=operator.base_url,
            MESSAGING_SERWERSMS_TOKEN=SERWERSMS_TOKEN,
            MESSAGING_SMS_TEST_MODE=False,
        ),
    ):
        rows = list(
            campaign.deliveries.filter(status=Delivery.Status.CREATED)
            .select_related("user__verified_phone")
            .order_by("pk")[:count]
        )
        count = len(rows)
        payloads = [
            {
                "phone": row.user.verified_phone.phone,
                "text": row.body,
                "details": True,
                "unique_id": f"gm{row.pk}",
            }
            for row in rows
        ]
        # The floor: the same requests, one keep-alive session, no database.
        session = requests.Session()
        session.trust_env = False  # like the operator client: no environment scan per request
        session.headers["Authorization"] = f"Bearer {SERWERSMS_TOKEN}"
        url = operator.base_url + "/messages/send_sms.json"
        started = time.perf_counter()
        for payload in payloads:
            reply = session.post(url, json=payload, timeout=20).json()
            if reply["items"][0]["status"] != "queued":
                sys.exit(f"The fake operator refused {payload}: {reply}")
        floor = time.perf_counter() - started
        session.close()
        operator.messages.clear()

        started = time.perf_counter()
        sent = _send_as_worker(campaign, count)
        seconds = time.perf_counter() - started
        if sent != count or len(operator.messages) != count:
            sys.exit(f"SMS: claimed {sent}, the operator has {len(operator.messages)}.")
        failed = (
            Delivery.objects.filter(pk__in=[row.pk for row in rows])
            .exclude(status=Delivery.Status.SENT)
            .count()
        )
        if failed:
            sys.exit(f"SMS: {failed} rows not sent.")
    return campaign, {
        "messages": count,
        "outbox_seconds": outbox,
        "seconds": seconds,
        "messages_per_second": count / seconds,
        "baseline_seconds": floor,
        "baseline_messages_per_second": count / floor,
        "ratio": seconds / floor,
        "target_ratio": 2.0,
        "load_average_after": os.getloadavg()[0],
    }


def remove(campaign: Campaign) -> None:
    with transaction.atomic():
        Delivery.objects.filter(campaign=campaign).delete()
        campaign.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=2_000, help="messages sent per channel")
    parser.add_argument("--skip", default="", help="comma-separated: dry_run,email,sms")
    parser.add_argument(
        "--no-dkim", action="store_true", help="measure email signed with S/MIME only"
    )
    parser.add_argument("--keep", action="store_true", help="keep the campaigns and outboxes")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the fake SMTP server's chatter
    if connection.vendor != "postgresql":
        sys.exit("The messaging benchmark needs PostgreSQL (the claim uses SKIP LOCKED).")
    if not Taxpayer.objects.filter(external_id__startswith="BENCH-TP-").exists():
        sys.exit("No bench data: run bench/generate.py first.")
    send = min(args.send, args.recipients)

    started = time.perf_counter()
    taxpayer_ids = ensure_recipients(args.recipients)
    group = ensure_group(taxpayer_ids)
    small_group = ensure_group(taxpayer_ids[:send])
    print(f"setup: {time.perf_counter() - started:.1f} s (not timed)", file=sys.stderr)

    report: dict = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "taxpayers": Taxpayer.objects.count(),
        "measured_at": timezone.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    made: list[Campaign] = []
    messaging_settings = MessagingSettings.load()
    rate = messaging_settings.sends_per_second
    MessagingSettings.objects.filter(pk=messaging_settings.pk).update(sends_per_second=1_000_000)
    try:
        campaign, report["outbox"] = bench_outbox(group, args.recipients, "dry_run" not in skip)
        made.append(campaign)
        print(json.dumps({"outbox": report["outbox"]}, indent=2), file=sys.stderr)
        if "email" not in skip:
            variants = [("email_smime_only", False)]
            if not args.no_dkim:
                variants.insert(0, ("email", True))
            for name, dkim in variants:
                with tempfile.TemporaryDirectory() as pki_dir:
                    report[name] = bench_email(campaign, send, Path(pki_dir), dkim=dkim)
                print(json.dumps({name: report[name]}, indent=2), file=sys.stderr)
        if "sms" not in skip:
            sms_campaign, report["sms"] = bench_sms(small_group, send)
            made.append(sms_campaign)
    finally:
        MessagingSettings.objects.filter(pk=messaging_settings.pk).update(sends_per_second=rate)
        if not args.keep:
            for campaign in made:
                remove(campaign)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "messaging.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
