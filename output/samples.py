"""Realistic sample views for tests, the benchmark and eyeballing the templates.

The amounts are computed with the same integer rules the domain uses (half-up
rounding on cents); the mentions are the ones the domain would choose for each case.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from output.formatting import format_money
from output.views import (
    Deduction,
    DocumentView,
    Insurance,
    LetterView,
    Line,
    OpenInvoice,
    Party,
    PaymentReceived,
    StatementView,
    VatRow,
)

ISSUE_DATE = dt.date(2026, 11, 23)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
BIC = "AGRIFRPP"

SELLER = Party(
    name="Martin Plomberie Chauffage",
    legal_form="SARL au capital de 8 000 €",
    address_lines=("14 rue des Tanneurs", "69007 Lyon"),
    siren="812 345 676",
    siret="812 345 676 00017",
    rcs_rm="RCS Lyon 812 345 676",
    vat_number="FR19 812345676",
    email="contact@martin-plomberie.fr",
    phone="04 78 12 34 56",
)
SELLER_FRANCHISE = Party(
    name="Julien Roux",
    legal_form="EI",
    address_lines=("3 chemin du Moulin", "38200 Vienne"),
    siren="853 214 708",
    siret="853 214 708 00010",
    rcs_rm="RM 853 214 708 38",
    vat_number=None,
    email="julien.roux.elec@example.fr",
    phone="06 12 34 56 78",
)
PRIVATE_BUYER = Party(
    name="Mme Claire Dubois",
    address_lines=("8 allée des Érables", "69130 Écully"),
)
PRO_BUYER = Party(
    name="Bâtir Rhône",
    legal_form="SAS",
    address_lines=("Parc Technologique", "22 avenue Lionel Terray", "69330 Meyzieu"),
    siren="401 234 562",
    siret="401 234 562 00015",
    vat_number="FR46 401234562",
)
INSURANCE = Insurance(
    insurer="MAAF Assurances, Chaban 79180 Chauray",
    policy="RCD 184 226 731 M",
    coverage_area="France métropolitaine",
)

PENALTIES_PRIVATE = (
    "En cas de retard de paiement, des intérêts au taux légal courent à compter de la "
    "mise en demeure (art. 1344-1 du Code civil). Pas d'escompte pour paiement anticipé."
)
PENALTIES_PRO = (
    "Pénalités de retard exigibles dès le lendemain de l'échéance, sans rappel : taux "
    "de refinancement de la BCE majoré de 10 points, soit 12,15 % l'an "
    "(art. L441-10 du Code de commerce). Pas d'escompte pour paiement anticipé."
)
INDEMNITY_PRO = f"Indemnité forfaitaire pour frais de recouvrement : {format_money(4000)}"
FRANCHISE = "TVA non applicable, art. 293 B du CGI"
AUTOLIQUIDATION = "Autoliquidation – article 283-2 nonies du CGI"
REDUCED_RATE = (
    "TVA au taux réduit : travaux dans un logement achevé depuis plus de deux ans, "
    "attestation remise par le client (art. 279-0 bis du CGI)."
)

# label, description, quantity (thousandths), unit, unit price HT (cents), discount bp
_CATALOG = (
    ("Dépose de l'ancienne baignoire", "Démontage, évacuation en déchetterie agréée", 1000, "forfait", 18000, 0),
    ("Receveur de douche extra-plat 120 × 90", "Résine minérale blanc mat, bonde Ø 90", 1000, "u", 48900, 0),
    ("Paroi de douche fixe 120 cm", "Verre securit 8 mm traité anticalcaire", 1000, "u", 52500, 500),
    ("Mitigeur thermostatique encastré", "Corps encastré et façade chromée", 1000, "u", 38400, 0),
    ("Alimentation cuivre Ø 14", "Fourniture et pose, raccords à sertir", 9500, "m", 2150, 0),
    ("Évacuation PVC Ø 40", "Pente 2 cm/m, raccordement sur chute existante", 4250, "m", 1890, 0),
    ("Carrelage mural 30 × 60", "Fourniture et pose, joints époxy", 12600, "m²", 6450, 0),
    ("Main-d'œuvre plombier", "Mise en service et essais d'étanchéité", 7500, "h", 5200, 0),
    ("Radiateur sèche-serviettes 500 W", "Fluide caloporteur, programmation hebdomadaire", 1000, "u", 42900, 1000),
    ("Étanchéité sous carrelage (SPEC)", "Natte d'étanchéité et bandes d'angle", 6200, "m²", 3800, 0),
    ("Ventilation : bouche hygroréglable", "Raccordement sur VMC existante", 1000, "u", 9600, 0),
    ("Nettoyage de fin de chantier", "", 1000, "forfait", 9000, 0),
)
_SECTIONS = ("Dépose et préparation", "Plomberie sanitaire", "Revêtements", "Finitions")


def _round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (the domain's rounding)."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def line_total_cents(quantity_milli: int, unit_price_cents: int, discount_bp: int = 0) -> int:
    """HT total of a line, in cents."""
    return _round_div(quantity_milli * unit_price_cents * (10_000 - discount_bp), 1000 * 10_000)


def _item(label, description, qty, unit, price, discount, vat_bp) -> Line:
    return Line(
        kind="item",
        label=label,
        description=description,
        quantity_milli=qty,
        unit=unit,
        unit_price_cents=price,
        discount_bp=discount,
        vat_rate_bp=vat_bp,
        total_ht_cents=line_total_cents(qty, price, discount),
    )


def _vat_rows(lines) -> tuple[VatRow, ...]:
    bases: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.kind == "item":
            bases[line.vat_rate_bp] += line.total_ht_cents
    return tuple(
        VatRow(rate, base, _round_div(base * rate, 10_000))
        for rate, base in sorted(bases.items(), reverse=True)
    )


def _lines(n_items: int, vat_bp: int, section_every: int = 0) -> tuple[Line, ...]:
    lines = []
    for i in range(n_items):
        if section_every and i % section_every == 0:
            lines.append(Line(kind="section", label=_SECTIONS[(i // section_every) % len(_SECTIONS)]))
        label, description, qty, unit, price, discount = _CATALOG[i % len(_CATALOG)]
        lines.append(_item(label, description, qty, unit, price, discount, vat_bp))
    return tuple(lines)


def _mentions(regime: str, professional: bool) -> tuple[str, ...]:
    mentions = []
    if regime == "franchise":
        mentions.append(FRANCHISE)
    elif regime == "autoliquidation":
        mentions.append(AUTOLIQUIDATION)
    elif not professional:
        mentions.append(REDUCED_RATE)
    if professional:
        mentions += [PENALTIES_PRO, INDEMNITY_PRO]
    else:
        mentions.append(PENALTIES_PRIVATE)
    return tuple(mentions)


def sample_invoice_view(
    *,
    kind: str = "invoice",
    regime: str = "normal",
    professional: bool = False,
    draft: bool = False,
    paid_cents: int = 0,
    n_items: int = 8,
    epc_qr: bool = True,
) -> DocumentView:
    """An invoice (kind "invoice", "deposit", "final") or a credit note ("credit_note").

    ``regime`` is "normal" (10 % for a private home, 20 % for a business),
    "franchise" (franchise en base, no VAT) or "autoliquidation" (subcontracting,
    no VAT, both VAT numbers).
    """
    seller = SELLER_FRANCHISE if regime == "franchise" else SELLER
    if regime == "autoliquidation":
        professional = True
    buyer = PRO_BUYER if professional else PRIVATE_BUYER
    charges_vat = regime == "normal"
    vat_bp = (2000 if professional else 1000) if charges_vat else 0

    number = None if draft else "F-2026-0042"
    title = "Facture"
    references: tuple[str, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    if kind == "deposit":
        title = "Facture d'acompte"
        number = None if draft else "F-2026-0041"
        references = ("Acompte n° 1 sur devis D-2026-0003 du 02/10/2026 (30 %)",)
        quote_ht = sum(line.total_ht_cents for line in _lines(n_items, vat_bp))
        lines: tuple[Line, ...] = (
            _item("Acompte de 30 % sur devis D-2026-0003", "Rénovation de la salle de bains",
                  1000, "forfait", _round_div(quote_ht * 30, 100), 0, vat_bp),
        )
    elif kind == "credit_note":
        title = "Avoir"
        number = None if draft else "AV-2026-0004"
        references = ("Avoir sur facture F-2026-0042 du 23/11/2026",)
        lines = (
            _item("Paroi de douche fixe 120 cm", "Retour fournisseur : modèle remplacé",
                  1000, "u", 52500, 500, vat_bp),
        )
    else:
        lines = _lines(n_items, vat_bp, section_every=4)
        if kind == "final":
            title = "Facture de solde"
            references = ("Travaux selon devis D-2026-0003 du 02/10/2026",)

    vat_rows = _vat_rows(lines) if charges_vat else ()
    total_ht = sum(line.total_ht_cents for line in lines if line.kind == "item")
    total_vat = sum(row.vat_cents for row in vat_rows)
    total_ttc = total_ht + total_vat

    net_to_pay = None
    if kind == "final":
        deposit_ht = _round_div(total_ht * 30, 100)
        deposit_vat_rows = tuple(
            VatRow(row.rate_bp, _round_div(row.base_cents * 30, 100),
                   _round_div(_round_div(row.base_cents * 30, 100) * row.rate_bp, 10_000))
            for row in vat_rows
        )
        deductions = (
            Deduction("F-2026-0031", dt.date(2026, 10, 5), deposit_ht, deposit_vat_rows,
                      deposit_ht + sum(r.vat_cents for r in deposit_vat_rows)),
        )
        net_to_pay = total_ttc - sum(d.ttc_cents for d in deductions)

    is_credit = kind == "credit_note"
    return DocumentView(
        kind=kind,
        title=title,
        number=number,
        is_draft=draft,
        issue_date=ISSUE_DATE,
        service_date=dt.date(2026, 11, 18),
        service_date_text="du 09/11/2026 au 18/11/2026" if kind == "final" else None,
        due_date=None if is_credit else ISSUE_DATE + dt.timedelta(days=30),
        seller=seller,
        buyer=buyer,
        buyer_is_professional=professional,
        site_name="Rénovation salle de bains",
        site_address_lines=("8 allée des Érables", "69130 Écully"),
        references=references,
        lines=lines,
        vat_rows=vat_rows,
        total_ht_cents=total_ht,
        total_vat_cents=total_vat,
        total_ttc_cents=total_ttc,
        deductions=deductions,
        net_to_pay_cents=net_to_pay,
        paid_cents=paid_cents,
        remaining_cents=None,
        payment_terms=None if is_credit else "À réception, au plus tard le 23/12/2026",
        payment_methods=None if is_credit else "Virement bancaire, chèque",
        iban=None if is_credit else IBAN,
        bic=None if is_credit else BIC,
        epc_qr=epc_qr and not is_credit,
        mentions=_mentions(regime, professional),
        insurance=INSURANCE,
        notes=None,
    )


def sample_quote_view(n_lines: int = 8, *, draft: bool = False) -> DocumentView:
    """A quote with ``n_lines`` item lines (plus a section title every 8 items)."""
    vat_bp = 1000
    lines = _lines(n_lines, vat_bp, section_every=8)
    vat_rows = _vat_rows(lines)
    total_ht = sum(line.total_ht_cents for line in lines if line.kind == "item")
    total_vat = sum(row.vat_cents for row in vat_rows)
    return DocumentView(
        kind="quote",
        title="Devis",
        number=None if draft else "D-2026-0003",
        is_draft=draft,
        issue_date=dt.date(2026, 10, 2),
        service_date=dt.date(2026, 11, 9),
        validity_date=dt.date(2027, 1, 2),
        seller=SELLER,
        buyer=PRIVATE_BUYER,
        buyer_is_professional=False,
        site_name="Rénovation salle de bains",
        site_address_lines=("8 allée des Érables", "69130 Écully"),
        lines=lines,
        vat_rows=vat_rows,
        total_ht_cents=total_ht,
        total_vat_cents=total_vat,
        total_ttc_cents=total_ht + total_vat,
        payment_terms="Acompte de 30 % à la commande, solde à la réception des travaux",
        payment_methods="Virement bancaire, chèque",
        mentions=(
            "Devis gratuit. Durée estimée des travaux : 8 jours ouvrés.",
            REDUCED_RATE,
            PENALTIES_PRIVATE,
        ),
        insurance=INSURANCE,
        notes="Les quantités de carrelage incluent 10 % de chutes.\nCoupure d'eau prévue le premier jour.",
    )


def sample_statement_view() -> StatementView:
    """A statement with three open invoices and two payments received."""
    rows = (
        OpenInvoice("F-2026-0018", dt.date(2026, 8, 15), dt.date(2026, 9, 14), 264000, 100000, 164000, 70),
        OpenInvoice("F-2026-0031", dt.date(2026, 10, 5), dt.date(2026, 11, 4), 198000, 0, 198000, 19),
        OpenInvoice("F-2026-0042", ISSUE_DATE, dt.date(2026, 12, 23), 471390, 0, 471390, 0),
    )
    payments = (
        PaymentReceived(dt.date(2026, 9, 2), "Virement", "VIR DUBOIS CLAIRE", 100000, "F-2026-0018"),
        PaymentReceived(dt.date(2026, 7, 28), "Chèque", "Chèque n° 4417203", 85000, "F-2026-0009"),
    )
    return StatementView(
        seller=SELLER,
        buyer=PRIVATE_BUYER,
        statement_date=ISSUE_DATE,
        rows=rows,
        payments=payments,
        total_ttc_cents=sum(r.ttc_cents for r in rows),
        total_paid_cents=sum(r.paid_cents for r in rows),
        total_remaining_cents=sum(r.remaining_cents for r in rows),
        total_overdue_cents=sum(r.remaining_cents for r in rows if r.days_late > 0),
        period_text="depuis le 01/07/2026",
        iban=IBAN,
        bic=BIC,
    )


def sample_letter_view() -> LetterView:
    """A formal notice for two overdue invoices."""
    invoices = (
        OpenInvoice("F-2026-0018", dt.date(2026, 8, 15), dt.date(2026, 9, 14), 264000, 100000, 164000, 70),
        OpenInvoice("F-2026-0031", dt.date(2026, 10, 5), dt.date(2026, 11, 4), 198000, 0, 198000, 19),
    )
    due = sum(i.remaining_cents for i in invoices)
    deadline = ISSUE_DATE + dt.timedelta(days=8)
    return LetterView(
        seller=SELLER,
        buyer=PRIVATE_BUYER,
        place="Lyon",
        letter_date=ISSUE_DATE,
        subject="Mise en demeure de payer",
        paragraphs=(
            "Malgré nos relances des 20 septembre et 10 novembre 2026, les factures "
            "ci-dessous, correspondant aux travaux réalisés à votre domicile, restent "
            "impayées à ce jour.",
            "Par la présente, nous vous mettons en demeure de nous régler la somme "
            "indiquée ci-dessous au plus tard à la date mentionnée.",
            "À défaut de paiement dans ce délai, nous saisirons la juridiction compétente "
            "afin d'obtenir le recouvrement de notre créance, augmentée des intérêts au "
            "taux légal qui courent à compter de la présente mise en demeure "
            "(art. 1344-1 du Code civil).",
        ),
        invoices=invoices,
        amount_due_cents=due,
        deadline_date=deadline,
        signature_name="Paul Martin",
        signature_title="Gérant",
    )
