"""Demo case catalogue of Gmina Przykładowo: departments, matters, forms, one online form and a
case filed by the demo resident Jan Kowalski. Safe to run again (pages are found by slug,
departments by symbol, documents by title, Jan's case by matter)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Collection, Locale, Page

from .filing import file_case
from .handling import change_status
from .models import CaseCatalogPage, CaseFormField, CasePage, Category, Department, Status

DEPARTMENTS = [
    # symbol, name, room, phone, email, opening hours
    ("FN", "Referat Finansowo-Podatkowy", "6 (parter)", "+48 61 000 00 16",
     "podatki@przykladowo.example", "poniedziałek 8:00–16:00\nwtorek–piątek 7:30–15:30"),
    ("GK", "Referat Gospodarki Komunalnej i Ochrony Środowiska", "12 (I piętro)",
     "+48 61 000 00 22", "odpady@przykladowo.example",
     "poniedziałek 8:00–16:00\nwtorek–piątek 7:30–15:30"),
    ("USC", "Urząd Stanu Cywilnego", "3 (parter)", "+48 61 000 00 13",
     "usc@przykladowo.example", "poniedziałek–piątek 7:30–15:30"),
    ("RB", "Referat Budownictwa i Planowania Przestrzennego", "14 (I piętro)",
     "+48 61 000 00 24", "budownictwo@przykladowo.example", "poniedziałek–piątek 7:30–15:30"),
    ("SO", "Referat Spraw Obywatelskich i Działalności Gospodarczej", "2 (parter)",
     "+48 61 000 00 12", "sprawy.obywatelskie@przykladowo.example",
     "poniedziałek–piątek 7:30–15:30"),
]  # fmt: skip

TAX_ACT = "<p>Ustawa z dnia 12 stycznia 1991 r. o podatkach i opłatach lokalnych (Dz.U. 2023 poz. 70 ze zm.).</p>"  # noqa: E501
ORDINANCE = (
    "<p>Ustawa z dnia 29 sierpnia 1997 r. – Ordynacja podatkowa (Dz.U. 2023 poz. 2383 ze zm.).</p>"
)
NO_FEE = "<p>Bez opłat.</p>"
EPUAP = "https://epuap.gov.pl/wps/portal/strefa-klienta/katalog-spraw"


def _m(slug, title, code, category, dept, summary, **extra):
    return {"slug": slug, "title": title, "form_code": code, "category": category,
            "department": dept, "summary": summary, **extra}  # fmt: skip


def _tax(slug, title, code, summary, who, jrwa, deadline, form_title):
    return _m(
        slug, title, code, Category.TAXES, "FN", summary,
        description=f"<p>{summary} Informację lub deklarację składa się w terminie 14 dni od "
        "zaistnienia okoliczności uzasadniających powstanie, zmianę lub wygaśnięcie obowiązku "
        "podatkowego.</p>",
        who=who, documents="<ul><li>wypełniony formularz " + code + " z załącznikami</li>"
        "<li>dokument potwierdzający tytuł prawny (np. akt notarialny) – do wglądu</li></ul>",
        fees=NO_FEE, deadline=deadline, legal_basis=TAX_ACT, jrwa=jrwa, epuap=True,
        form=form_title,
    )  # fmt: skip


MATTERS = [
    _tax("in-1", "Informacja o nieruchomościach i obiektach budowlanych", "IN-1",
         "Osoby fizyczne zgłaszają nieruchomości do opodatkowania podatkiem od nieruchomości.",
         "<p>Osoby fizyczne będące właścicielami, posiadaczami lub użytkownikami wieczystymi "
         "nieruchomości.</p>", "3120", "Decyzja wymiarowa do 31 maja albo 30 dni od złożenia informacji.",  # noqa: E501
         "Formularz IN-1 (PDF)"),
    _tax("dn-1", "Deklaracja na podatek od nieruchomości", "DN-1",
         "Osoby prawne i jednostki organizacyjne deklarują podatek od nieruchomości.",
         "<p>Osoby prawne, jednostki organizacyjne, spółki bez osobowości prawnej.</p>", "3120",
         "Deklarację składa się do 31 stycznia; urząd nie wydaje decyzji.", "Formularz DN-1 (PDF)"),
    _tax("ir-1", "Informacja o gruntach (podatek rolny)", "IR-1",
         "Osoby fizyczne zgłaszają grunty rolne do opodatkowania podatkiem rolnym.",
         "<p>Osoby fizyczne – właściciele i posiadacze gruntów rolnych.</p>", "3121",
         "Decyzja wymiarowa do 31 maja albo 30 dni od złożenia informacji.", "Formularz IR-1 (PDF)"),  # noqa: E501
    _tax("dr-1", "Deklaracja na podatek rolny", "DR-1",
         "Osoby prawne deklarują podatek rolny od posiadanych gruntów.",
         "<p>Osoby prawne i jednostki organizacyjne posiadające grunty rolne.</p>", "3121",
         "Deklarację składa się do 15 stycznia.", "Formularz DR-1 (PDF)"),
    _tax("il-1", "Informacja o lasach (podatek leśny)", "IL-1",
         "Osoby fizyczne zgłaszają lasy do opodatkowania podatkiem leśnym.",
         "<p>Osoby fizyczne – właściciele i posiadacze lasów.</p>", "3122",
         "Decyzja wymiarowa do 31 maja albo 30 dni od złożenia informacji.", "Formularz IL-1 (PDF)"),  # noqa: E501
    _tax("dl-1", "Deklaracja na podatek leśny", "DL-1",
         "Osoby prawne deklarują podatek leśny.",
         "<p>Osoby prawne i jednostki organizacyjne posiadające lasy.</p>", "3122",
         "Deklarację składa się do 15 stycznia.", "Formularz DL-1 (PDF)"),
    _tax("dt-1", "Deklaracja na podatek od środków transportowych", "DT-1",
         "Właściciele ciężarówek, ciągników i autobusów deklarują podatek od środków "
         "transportowych.",
         "<p>Osoby fizyczne i prawne – właściciele samochodów ciężarowych o dopuszczalnej masie "
         "całkowitej od 3,5 tony, ciągników siodłowych, przyczep i autobusów.</p>", "3123",
         "Deklarację składa się do 15 lutego.", "Formularz DT-1 (PDF)"),
    _m("zaswiadczenie-o-niezaleganiu", "Zaświadczenie o niezaleganiu w podatkach", "ZN-1",
       Category.TAXES, "FN",
       "Zaświadczenie, że nie masz zaległości podatkowych wobec gminy – np. do przetargu, "
       "kredytu lub dotacji.",
       description="<p>Urząd wydaje zaświadczenie o niezaleganiu w podatkach lub stwierdzające "
       "stan zaległości na wniosek podatnika.</p>",
       who="<p>Podatnik, płatnik, inkasent, ich następca prawny lub pełnomocnik.</p>",
       documents="<ul><li>wniosek (formularz ZN-1 albo formularz elektroniczny)</li>"
       "<li>dowód zapłaty opłaty skarbowej</li><li>pełnomocnictwo – jeśli działa pełnomocnik"
       "</li></ul>",
       fees="<p>Opłata skarbowa 21 zł (za pełnomocnictwo 17 zł), na rachunek gminy.</p>",
       deadline="Do 7 dni od złożenia wniosku.",
       legal_basis=ORDINANCE + "<p>Art. 306a–306e Ordynacji podatkowej.</p>",
       jrwa="3125", epuap=True, online=True, form="Wniosek ZN-1 (PDF)"),
    _m("umorzenie-zaleglosci", "Umorzenie zaległości podatkowej lub rozłożenie na raty", "",
       Category.TAXES, "FN",
       "Wniosek o ulgę w spłacie podatku: umorzenie, odroczenie terminu lub raty.",
       description="<p>W uzasadnionych przypadkach, ze względu na ważny interes podatnika lub "
       "interes publiczny, organ może udzielić ulgi w spłacie zobowiązania.</p>",
       who="<p>Podatnik lub jego pełnomocnik.</p>",
       documents="<ul><li>wniosek z uzasadnieniem</li><li>oświadczenie o sytuacji majątkowej"
       "</li><li>dokumenty potwierdzające dochody i wydatki</li></ul>",
       fees=NO_FEE, deadline="Do 30 dni, w sprawach szczególnie skomplikowanych do 60 dni.",
       legal_basis=ORDINANCE + "<p>Art. 67a Ordynacji podatkowej.</p>", jrwa="3126", epuap=True),
    _m("deklaracja-odpady", "Deklaracja o wysokości opłaty za gospodarowanie odpadami komunalnymi",
       "DO-1", Category.WASTE, "GK",
       "Właściciele nieruchomości zamieszkałych deklarują opłatę za odbiór śmieci.",
       description="<p>Pierwszą deklarację składa się w ciągu 14 dni od zamieszkania pierwszego "
       "mieszkańca; zmianę (np. liczby mieszkańców) do 10. dnia miesiąca następującego po "
       "zmianie.</p>",
       who="<p>Właściciel, współwłaściciel, użytkownik wieczysty lub zarządca nieruchomości.</p>",
       documents="<ul><li>wypełniona deklaracja DO-1</li></ul>", fees=NO_FEE,
       deadline="Urząd nie wydaje decyzji; opłata wynika z deklaracji.",
       legal_basis="<p>Ustawa z dnia 13 września 1996 r. o utrzymaniu czystości i porządku w "
       "gminach (Dz.U. 2024 poz. 399 ze zm.).</p>",
       jrwa="6233", epuap=True, form="Deklaracja DO-1 (PDF)"),
    _m("reklamacja-odbioru-odpadow", "Zgłoszenie nieodebrania odpadów", "", Category.WASTE, "GK",
       "Zgłoś, że firma nie odebrała odpadów w terminie z harmonogramu.",
       description="<p>Zgłoszenie należy przekazać w ciągu 3 dni roboczych od dnia, w którym "
       "odpady miały zostać odebrane.</p>",
       who="<p>Każdy mieszkaniec nieruchomości objętej systemem.</p>",
       documents="<ul><li>adres nieruchomości i rodzaj nieodebranych odpadów</li></ul>",
       fees=NO_FEE, deadline="Odbiór w ciągu 2 dni roboczych od zgłoszenia.",
       legal_basis="<p>Regulamin utrzymania czystości i porządku na terenie gminy.</p>",
       jrwa="6236", epuap=True),
    _m("odpis-aktu", "Odpis aktu stanu cywilnego", "", Category.CIVIL_REGISTRY, "USC",
       "Odpis zupełny lub skrócony aktu urodzenia, małżeństwa albo zgonu.",
       description="<p>Odpis wydaje dowolny kierownik urzędu stanu cywilnego.</p>",
       who="<p>Osoba, której akt dotyczy, jej małżonek, wstępni, zstępni, rodzeństwo, "
       "przedstawiciel ustawowy lub osoba mająca interes prawny.</p>",
       documents="<ul><li>wniosek</li><li>dowód osobisty – do wglądu</li></ul>",
       fees="<p>Odpis skrócony 22 zł, odpis zupełny 33 zł.</p>", deadline="Niezwłocznie, do 7 dni.",
       legal_basis="<p>Ustawa z dnia 28 listopada 2014 r. – Prawo o aktach stanu cywilnego.</p>",
       jrwa="5361", epuap=True),
    _m("zaswiadczenie-o-stanie-cywilnym", "Zaświadczenie o stanie cywilnym", "",
       Category.CIVIL_REGISTRY, "USC", "Zaświadczenie potrzebne np. do zawarcia małżeństwa za granicą.",  # noqa: E501
       description="<p>Zaświadczenie potwierdza stan cywilny na podstawie rejestru.</p>",
       who="<p>Osoba, której zaświadczenie dotyczy.</p>",
       documents="<ul><li>wniosek</li><li>dowód osobisty</li></ul>", fees="<p>38 zł.</p>",
       deadline="Do 7 dni.",
       legal_basis="<p>Ustawa z dnia 28 listopada 2014 r. – Prawo o aktach stanu cywilnego.</p>",
       jrwa="5362", epuap=False),
    _m("wypis-z-planu", "Wypis i wyrys z miejscowego planu zagospodarowania przestrzennego", "",
       Category.CONSTRUCTION, "RB", "Informacja o przeznaczeniu działki w planie miejscowym.",
       description="<p>Wypis zawiera ustalenia planu dla działki, wyrys – fragment rysunku.</p>",
       who="<p>Każdy zainteresowany.</p>",
       documents="<ul><li>wniosek z numerem działki i obrębem</li></ul>",
       fees="<p>Wypis do 5 stron 30 zł, powyżej 50 zł; wyrys 20 zł za stronę A4.</p>",
       deadline="Do 14 dni.",
       legal_basis="<p>Ustawa z dnia 27 marca 2003 r. o planowaniu i zagospodarowaniu "
       "przestrzennym, art. 30.</p>", jrwa="6727", epuap=True),
    _m("warunki-zabudowy", "Decyzja o warunkach zabudowy", "", Category.CONSTRUCTION, "RB",
       "Decyzja potrzebna do budowy tam, gdzie nie ma planu miejscowego.",
       description="<p>Decyzja określa warunki zabudowy działki, dla której nie uchwalono planu.</p>",  # noqa: E501
       who="<p>Każdy, także osoba niebędąca właścicielem działki.</p>",
       documents="<ul><li>wniosek</li><li>mapa zasadnicza w skali 1:500 lub 1:1000</li>"
       "<li>informacja o zapotrzebowaniu na media</li></ul>", fees="<p>598 zł.</p>",
       deadline="Do 90 dni.",
       legal_basis="<p>Ustawa z dnia 27 marca 2003 r. o planowaniu i zagospodarowaniu "
       "przestrzennym, art. 59–64.</p>", jrwa="6730", epuap=True),
    _m("numer-porzadkowy", "Nadanie numeru porządkowego nieruchomości", "", Category.CONSTRUCTION,
       "RB", "Numer domu dla nowo wybudowanego budynku.",
       description="<p>Numer porządkowy nadaje się budynkom mieszkalnym i innym.</p>",
       who="<p>Właściciel lub zarządca nieruchomości.</p>",
       documents="<ul><li>wniosek z mapą lokalizacji budynku</li></ul>", fees=NO_FEE,
       deadline="Do 30 dni.",
       legal_basis="<p>Ustawa z dnia 17 maja 1989 r. – Prawo geodezyjne i kartograficzne.</p>",
       jrwa="6624", epuap=True),
    _m("ceidg", "Wpis do Centralnej Ewidencji i Informacji o Działalności Gospodarczej", "CEIDG-1",
       Category.BUSINESS, "SO", "Założenie, zmiana, zawieszenie lub zamknięcie firmy.",
       description="<p>Wniosek można złożyć w urzędzie albo przez internet na biznes.gov.pl.</p>",
       who="<p>Osoba fizyczna prowadząca lub zamierzająca prowadzić działalność.</p>",
       documents="<ul><li>wniosek CEIDG-1</li><li>dowód osobisty</li></ul>", fees=NO_FEE,
       deadline="Wpis następuje najpóźniej następnego dnia roboczego.",
       legal_basis="<p>Ustawa z dnia 6 marca 2018 r. o CEIDG.</p>", jrwa="7340", epuap=True),
    _m("zezwolenie-alkohol", "Zezwolenie na sprzedaż napojów alkoholowych", "",
       Category.BUSINESS, "SO", "Zezwolenie dla sklepu, restauracji lub baru.",
       description="<p>Zezwolenie wydaje się na co najmniej 4 lata (sklepy 7 lat).</p>",
       who="<p>Przedsiębiorca prowadzący punkt sprzedaży.</p>",
       documents="<ul><li>wniosek</li><li>tytuł prawny do lokalu</li><li>zgoda sanepidu</li>"
       "</ul>", fees="<p>Według wartości sprzedaży; co najmniej 525 zł rocznie.</p>",
       deadline="Do 30 dni.",
       legal_basis="<p>Ustawa z dnia 26 października 1982 r. o wychowaniu w trzeźwości.</p>",
       jrwa="7341", epuap=False),
]  # fmt: skip

RELATED = {
    "in-1": ["dn-1", "zaswiadczenie-o-niezaleganiu"],
    "dt-1": ["zaswiadczenie-o-niezaleganiu"],
    "zaswiadczenie-o-niezaleganiu": ["umorzenie-zaleglosci", "in-1"],
    "deklaracja-odpady": ["reklamacja-odbioru-odpadow"],
    "ir-1": ["dr-1"],
    "il-1": ["dl-1"],
}

ONLINE_FIELDS = [
    # label, type, required, choices, help text
    ("Cel wydania zaświadczenia", "singleline", True, "", "np. przetarg, kredyt, dotacja"),
    ("Rodzaj podatku", "dropdown", True,
     "Podatek od nieruchomości\nPodatek rolny\nPodatek leśny\nPodatek od środków transportowych\n"
     "Wszystkie podatki", ""),
    ("Sposób odbioru", "radio", True, "Osobiście w urzędzie\nPocztą\nPrzez ePUAP", ""),
    ("Uwagi", "multiline", False, "", ""),
]  # fmt: skip


def _pdf(title: str) -> bytes:
    """A one-page PDF with ``title`` (ASCII only): enough to stand in for a scanned form."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 18 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _document(title: str, filename: str):
    Document = get_document_model()
    document = Document.objects.filter(title=title).first()
    if document is None:
        document = Document(title=title, collection=Collection.get_first_root_node())
        document.file.save(filename, ContentFile(_pdf(title)), save=False)
        document.save()
    return document


def _departments() -> dict[str, Department]:
    departments = {}
    for symbol, name, room, phone, email, hours in DEPARTMENTS:
        department, _ = Department.objects.update_or_create(
            symbol=symbol,
            defaults={"name": name, "room": room, "phone": phone, "email": email,
                      "opening_hours": hours},
        )  # fmt: skip
        departments[symbol] = department
    return departments


def _publish_child(parent: Page, model, slug: str, **fields) -> Page:
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = model(slug=slug, **fields)
        parent.add_child(instance=page)
    else:
        for name, value in fields.items():
            setattr(page, name, value)
    page.save_revision().publish()
    return page


def _catalogue(home: Page, departments: dict[str, Department]) -> dict[str, CasePage]:
    catalogue = _publish_child(
        home,
        CaseCatalogPage,
        "katalog-spraw",
        title="Katalog spraw",
        intro="<p>Sprawy, które załatwisz w Urzędzie Gminy Przykładowo: co przygotować, ile to "
        "kosztuje, jak długo trwa i gdzie złożyć wniosek. Część spraw złożysz przez internet.</p>",
        show_in_menus=True,
    )
    pages = {}
    for spec in MATTERS:
        spec = dict(spec)
        form_title = spec.pop("form", None)
        forms = []
        if form_title:
            document = _document(form_title, f"{spec['slug']}.pdf")
            forms = [("document", document)]
        online = spec.pop("online", False)
        epuap = spec.pop("epuap")
        pages[spec["slug"]] = _publish_child(
            catalogue,
            CasePage,
            spec["slug"],
            title=spec["title"],
            form_code=spec["form_code"],
            category=spec["category"],
            summary=spec["summary"],
            description=spec["description"],
            who_may_file=spec["who"],
            required_documents=spec["documents"],
            fees=spec["fees"],
            deadline=spec["deadline"],
            legal_basis=spec["legal_basis"],
            department=departments[spec["department"]],
            jrwa_class=spec["jrwa"],
            epuap_url=EPUAP if epuap else "",
            online_form=online,
            online_form_intro="<p>Wniosek trafi do Referatu Finansowo-Podatkowego. Opłatę "
            "skarbową wpłać na rachunek gminy i dołącz potwierdzenie.</p>"
            if online
            else "",
            forms=forms,
        )
        if online and not pages[spec["slug"]].form_fields.exists():
            for order, (label, kind, required, choices, help_text) in enumerate(ONLINE_FIELDS):
                CaseFormField.objects.create(
                    page=pages[spec["slug"]], sort_order=order, label=label, field_type=kind,
                    required=required, choices=choices, help_text=help_text,
                )  # fmt: skip
    for slug, related in RELATED.items():
        page = pages[slug]
        page.related_matters = [("matter", pages[other]) for other in related]
        page.save_revision().publish()
    return pages


def _jan_case(pages: dict[str, CasePage], report) -> None:
    User = get_user_model()
    jan = User.objects.filter(email__iexact="jan.kowalski@przykladowo.example").first()
    clerk = User.objects.filter(email__iexact="urzednik@przykladowo.example").first()
    page = pages["zaswiadczenie-o-niezaleganiu"]
    if jan is None or page.cases.filter(user=jan).exists():
        return
    case = file_case(
        page=page,
        user=jan,
        answers=[
            {"label": "Cel wydania zaświadczenia", "value": "kredyt hipoteczny"},
            {"label": "Rodzaj podatku", "value": "Podatek od nieruchomości"},
            {"label": "Sposób odbioru", "value": "Osobiście w urzędzie"},
            {"label": "Uwagi", "value": ""},
        ],
    )
    change_status(case=case, status=Status.IN_PROGRESS, by=clerk)
    report.section("Katalog spraw", [f"Sprawa Jana Kowalskiego: {case.registry_number}"])


def load(report) -> None:
    locale = Locale.objects.get(language_code="pl")
    home = Page.objects.filter(depth=2, locale=locale).first()
    if home is None:
        return
    pages = _catalogue(home, _departments())
    _jan_case(pages, report)
