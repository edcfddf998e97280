"""DocumentViews of every case an artisan issues, as ``output.document_files.document_view``
builds them (same mentions, same integer arithmetic), for the e-invoicing tests.

Amounts follow the domain's rules (domain.money): a line total is quantity x price x (1 -
discount) rounded half-up once; VAT is computed once per rate on the rate's base; a
deposit is a share of the quote per rate; the final invoice shows the quote's gross totals
and deducts each deposit's TTC. Kept here, not imported from the domain, so that these
tests stay in the ``output`` layer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from output.views import Deduction, DocumentView, Insurance, Line, Party, PrecedingInvoice, VatRow

ISSUE = dt.date(2027, 9, 15)
DUE = ISSUE + dt.timedelta(days=30)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
BIC = "AGRIFRPP"

SELLER = Party(
    name="Martin Plomberie Chauffage",
    legal_form="SARL au capital de 8 000 €",
    address_lines=("14 rue des Tanneurs", "69007 Lyon"),
    siren="812 345 676",
    siret="812 345 676 00017",
    rcs_rm="RCS Lyon 812 345 676",
    vat_number="FR19812345676",
    email="contact@martin-plomberie.fr",
    phone="04 78 12 34 56",
)
# Franchise en base: no VAT number printed; BR-E-02 then needs the seller tax
# registration identifier (BT-32, scheme FC).
SELLER_FRANCHISE = Party(
    name="Julien Roux EI",
    address_lines=("3 chemin du Moulin", "38200 Vienne"),
    siren="853 214 708",
    siret="853 214 708 00010",
    rcs_rm="RM 853 214 708 38",
    email="julien.roux.elec@example.fr",
    tax_registration_id="3812345678901",
)
CONSUMER = Party(
    name="Mme Claire Dubois",
    address_lines=("8 allée des Érables", "69130 Écully"),
    email="claire.dubois@example.org",
)
BUSINESS = Party(
    name="Bâtir Rhône SAS",
    address_lines=("Parc Technologique", "22 avenue Lionel Terray", "69330 Meyzieu"),
    siren="401 234 562",
    siret="401 234 562 00015",
    vat_number="FR46401234562",
)
MAIN_CONTRACTOR = Party(
    name="Constructions Garnier SA",
    address_lines=("5 quai Perrache", "69002 Lyon"),
    siren="552 081 317",
    vat_number="FR23552081317",
)
INSURANCE = Insurance(insurer="MAAF Assurances, Chaban 79180 Chauray", policy="RCD 184 226 731 M",
                      coverage_area="France métropolitaine")

# The mentions document_files.legal_mentions prints.
PENALTY_PRO = ("Pénalités de retard au taux de refinancement de la BCE majoré de 10 points, soit 12,15 % l'an au "
               "second semestre 2027, exigibles dès le lendemain de la date d'échéance, sans qu'un rappel soit "
               "nécessaire (art. L441-10 du Code de commerce).")
INDEMNITY_PRO = ("Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40,00\xa0€ "
                 "(art. L441-10 et D441-5 du Code de commerce).")
PENALTY_CONSUMER = ("En cas de retard de paiement, des intérêts au taux légal courent à compter de la mise en demeure "
                    "(art. 1344-1 du Code civil).")
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
FRANCHISE = "TVA non applicable, art. 293 B du CGI"
AUTOLIQUIDATION = "Autoliquidation – article 283-2 nonies du CGI : TVA due par le preneur."
REDUCED_RATE = ("Taux réduit de TVA appliqué sur la base de l'attestation remise par le client : travaux dans un "
                "logement achevé depuis plus de deux ans (CGI art. 279-0 bis et 278-0 bis A).")
DEBITS = "Option pour le paiement de la taxe d'après les débits"


def half_up(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def item(label: str, qty_milli: int, unit: str, price_cents: int, rate_bp: int, discount_bp: int = 0,
         description: str = "") -> Line:
    return Line(kind="item", label=label, description=description, quantity_milli=qty_milli, unit=unit,
                unit_price_cents=price_cents, discount_bp=discount_bp, vat_rate_bp=rate_bp,
                total_ht_cents=half_up(qty_milli * price_cents * (10_000 - discount_bp), 10_000_000))


def section(label: str) -> Line:
    return Line(kind="section", label=label)


def vat_rows(lines, *, charge: bool = True) -> tuple[VatRow, ...]:
    bases: dict[int, int] = {}
    for line in lines:
        if line.kind == "item":
            bases[line.vat_rate_bp] = bases.get(line.vat_rate_bp, 0) + line.total_ht_cents
    return tuple(VatRow(rate, base, half_up(base * rate, 10_000) if charge else 0)
                 for rate, base in sorted(bases.items(), reverse=True) if base)


def mentions(professional: bool, *extra: str) -> tuple[str, ...]:
    payment = (PENALTY_PRO, INDEMNITY_PRO) if professional else (PENALTY_CONSUMER,)
    return (*extra, *payment, NO_DISCOUNT)


def invoice(lines, *, buyer: Party = CONSUMER, professional: bool | None = None, kind: str = "invoice",
            regime: str = "normal", number: str = "F-2027-0042", extra_mentions: tuple[str, ...] = (),
            **fields) -> DocumentView:
    """An issued invoice view with totals computed from its lines."""
    professional = buyer is not CONSUMER if professional is None else professional
    rows = vat_rows(lines) if regime == "normal" else ()
    ht = sum(line.total_ht_cents for line in lines if line.kind == "item")
    vat = sum(row.vat_cents for row in rows)
    is_credit = kind == "credit_note"
    titles = {"invoice": "Facture", "deposit": "Facture d'acompte", "final": "Facture de solde",
              "credit_note": "Avoir"}
    values = dict(
        kind=kind, title=titles[kind], number=number, is_draft=False, issue_date=ISSUE,
        seller=SELLER_FRANCHISE if regime == "franchise" else SELLER, buyer=buyer,
        buyer_is_professional=professional, service_date=dt.date(2027, 9, 10),
        due_date=None if is_credit else DUE,
        lines=tuple(lines), vat_rows=rows, total_ht_cents=ht, total_vat_cents=vat, total_ttc_cents=ht + vat,
        payment_terms=None if is_credit else "Paiement à 30 jours, au plus tard le 15/10/2027.",
        payment_methods=None if is_credit else "Virement bancaire, chèque ou espèces (dans la limite légale).",
        iban=None if is_credit else IBAN, bic=None if is_credit else BIC, payee_name=SELLER.name,
        epc_qr=not is_credit,
        mentions=() if is_credit else mentions(professional, *extra_mentions),
        insurance=INSURANCE, vat_regime=regime,
    )
    values.update(fields)
    return DocumentView(**values)


# --------------------------------------------------------------------------- the cases

RENOVATION = (
    section("Dépose et préparation"),
    item("Dépose de l'ancienne baignoire", 1000, "forfait", 18000, 1000, description="Évacuation en déchetterie"),
    item("Receveur de douche extra-plat 120 × 90", 1000, "u", 48900, 1000),
    section("Plomberie"),
    item("Paroi de douche fixe 120 cm", 1000, "u", 52500, 1000, discount_bp=500),
    item("Alimentation cuivre Ø 14", 9500, "ml", 2150, 1000),
    item("Carrelage mural 30 × 60", 12600, "m²", 6450, 550),
    item("Main-d'œuvre plombier", 7500, "h", 5200, 1000),
    item("Radiateur sèche-serviettes 500 W", 1000, "u", 42900, 2000, discount_bp=1000),
    item("Sable de rejointoiement", 37500, "kg", 33, 2000),
    item("Lot de raccords à sertir", 2000, "lot", 1890, 2000, discount_bp=333),
    item("Ensemble de fixation murale", 1000, "ens.", 4590, 2000),
    item("Béton de propreté", 350, "m³", 14500, 2000),
    item("Location nacelle", 2000, "jour", 21000, 2000),
)


def standard_multi_rate() -> DocumentView:
    """Business buyer (SIREN + SIRET), lines at 20, 10 and 5,5 %, units of every kind, discounts."""
    return invoice(RENOVATION, buyer=BUSINESS, operation_category="mixed", contract_reference="D-2027-0003")


def reduced_rates() -> DocumentView:
    """Consumer, renovation of a home: 10 %, 5,5 %, 2,1 % and a 0 % line, with the attestation mention."""
    lines = (
        item("Pose de menuiseries isolantes", 1000, "forfait", 320000, 550),
        item("Remplacement du ballon d'eau chaude", 1000, "u", 98000, 1000),
        item("Revue technique (publication)", 2000, "u", 1250, 210),
        item("Débours : taxe d'enlèvement", 1000, "forfait", 3500, 0),
    )
    return invoice(lines, extra_mentions=(REDUCED_RATE,))


def franchise() -> DocumentView:
    lines = (item("Mise en conformité tableau électrique", 1000, "forfait", 65000, 0),
             item("Déplacement", 1000, "forfait", 3500, 0))
    return invoice(lines, buyer=CONSUMER, regime="franchise", extra_mentions=(FRANCHISE,),
                   payee_name="Julien Roux")


def autoliquidation() -> DocumentView:
    """Subcontracting in construction: no VAT, both VAT numbers (CGI 283-2 nonies)."""
    lines = (item("Lot plomberie – immeuble Les Tilleuls", 1000, "forfait", 1250000, 2000),
             item("Main-d'œuvre supplémentaire", 16000, "h", 4800, 2000))
    return invoice(lines, buyer=MAIN_CONTRACTOR, regime="autoliquidation", extra_mentions=(AUTOLIQUIDATION,),
                   site_name="Chantier Les Tilleuls", site_address_lines=("12 rue Garibaldi", "69006 Lyon"))


QUOTE_LINES = (
    item("Chaudière gaz à condensation", 1000, "u", 420000, 550),
    item("Dépose et pose", 1000, "forfait", 90000, 1000),
    item("Désembouage des radiateurs", 8000, "u", 4500, 1000),
)


def _deposit_rows(percent_bp: int) -> tuple[VatRow, ...]:
    return tuple(VatRow(row.rate_bp, base := half_up(row.base_cents * percent_bp, 10_000),
                        half_up(base * row.rate_bp, 10_000)) for row in vat_rows(QUOTE_LINES))


def deposit(percent_bp: int = 3000, number: str = "F-2027-0031", issue: dt.date = dt.date(2027, 6, 2)) -> DocumentView:
    """A deposit invoice: one line per VAT rate of the quote (domain.documents.create_deposit)."""
    rows = _deposit_rows(percent_bp)
    lines = tuple(item(f"Acompte de {percent_bp // 100} % sur le devis D-2027-0003 – TVA {row.rate_bp / 100:g} %",
                       1000, "forfait", row.base_cents, row.rate_bp) for row in rows)
    view = invoice(lines, buyer=BUSINESS, kind="deposit", number=number, issue_date=issue,
                   due_date=issue + dt.timedelta(days=15), contract_reference="D-2027-0003",
                   references=("Acompte n° 1 sur le devis D-2027-0003 du 20/05/2027",), operation_category="mixed")
    assert view.vat_rows == rows
    return view


def final_after_two_deposits() -> DocumentView:
    """The final invoice: the quote's lines and gross totals, each deposit deducted (TTC)."""
    deductions = []
    for percent, number, issued in ((3000, "F-2027-0031", dt.date(2027, 6, 2)),
                                    (2000, "F-2027-0037", dt.date(2027, 7, 1))):
        rows = _deposit_rows(percent)
        ht = sum(r.base_cents for r in rows)
        deductions.append(Deduction(number, issued, ht, rows, ht + sum(r.vat_cents for r in rows)))
    view = invoice(QUOTE_LINES, buyer=BUSINESS, kind="final", deductions=tuple(deductions),
                   contract_reference="D-2027-0003", operation_category="mixed",
                   references=("Solde du devis D-2027-0003 du 20/05/2027",))
    return dataclasses.replace(view, net_to_pay_cents=view.total_ttc_cents - sum(d.ttc_cents for d in deductions))


def credit_note() -> DocumentView:
    lines = (item("Paroi de douche fixe 120 cm", 1000, "u", 52500, 1000, discount_bp=500,
                  description="Retour fournisseur : modèle remplacé"),)
    return invoice(lines, buyer=BUSINESS, kind="credit_note", number="A-2027-0004",
                   preceding_invoices=(PrecedingInvoice("F-2027-0042", dt.date(2027, 9, 15)),),
                   references=("Avoir sur la facture F-2027-0042 du 15/09/2027",), notes="Geste commercial.")


def consumer() -> DocumentView:
    return invoice((item("Dépannage fuite sous évier", 1000, "forfait", 15000, 1000),
                    item("Joint et raccord", 2000, "u", 750, 2000)))


def business_siren_siret() -> DocumentView:
    return invoice((item("Entretien annuel chaudière", 1000, "forfait", 14000, 2000),), buyer=BUSINESS)


def job_site() -> DocumentView:
    """Billed at the head office, work done on a site elsewhere."""
    return invoice((item("Remplacement du chauffe-eau", 1000, "u", 76000, 2000),), buyer=BUSINESS,
                   site_name="Agence de Villeurbanne", site_address_lines=("40 cours Émile Zola", "69100 Villeurbanne"),
                   service_period_start=dt.date(2027, 9, 6), service_period_end=dt.date(2027, 9, 10))


def goods() -> DocumentView:
    return invoice((item("Radiateur fonte 1 200 W (fourniture seule)", 2000, "u", 38900, 2000),), buyer=BUSINESS,
                   operation_category="goods")


def services() -> DocumentView:
    return invoice((item("Main-d'œuvre", 3000, "h", 5200, 2000),), buyer=BUSINESS, operation_category="services")


def vat_on_debits() -> DocumentView:
    return invoice((item("Contrat de maintenance 2027-2028", 1000, "forfait", 48000, 2000),), buyer=BUSINESS,
                   vat_on_debits=True, extra_mentions=(DEBITS,))


ALL = {
    "standard_multi_rate": standard_multi_rate,
    "reduced_rates": reduced_rates,
    "franchise": franchise,
    "autoliquidation": autoliquidation,
    "deposit": deposit,
    "final_after_two_deposits": final_after_two_deposits,
    "credit_note": credit_note,
    "consumer": consumer,
    "business_siren_siret": business_siren_siret,
    "job_site": job_site,
    "goods": goods,
    "services": services,
    "vat_on_debits": vat_on_debits,
}
