"""The legal mentions a document prints, chosen by case (CGI ann. II art. 242 nonies A, Code de
commerce L441-9 / L441-10, Code de la consommation L221-5), and the payment terms sentence.

One place for every such text: the PDF prints them and the pages show the same words."""

from __future__ import annotations

from datetime import date

from domain.billing import terms
from domain.billing.models import INVOICE_KINDS, Document, Kind, VatRegime
from output import formatting
from output.formatting import format_percent_bp

# VAT regimes that charge no VAT say why, on the PDF and on the page that edits the document.
REGIME_MENTIONS = {
    VatRegime.FRANCHISE: "TVA non applicable, art. 293 B du CGI",
    # CGI art. 283-2 nonies (sous-traitance BTP) and 242 nonies A, 13°.
    VatRegime.AUTOLIQUIDATION: "Autoliquidation – article 283-2 nonies du CGI : TVA due par le preneur.",
}


def legal_mentions(doc: Document, seller: dict, buyer: dict, on: date, due: date | None = None) -> tuple[str, ...]:
    """Mandatory mentions by case (CGI ann. II 242 nonies A, Code de commerce L441-9/L441-10)."""
    mentions: list[str] = []
    if doc.vat_regime in REGIME_MENTIONS:
        mentions.append(REGIME_MENTIONS[VatRegime(doc.vat_regime)])
    if doc.reduced_rate_attestation:
        mentions.append(_reduced_rate_mention(doc))
    if seller.get("vat_on_debits"):
        mentions.append("Option pour le paiement de la taxe d'après les débits")
    if doc.kind == Kind.QUOTE:
        # Arrêté du 24 janvier 2017 (dépannage, réparation, entretien chez un particulier):
        # the quote says whether it is charged for. Encaisse has no paid quotes.
        mentions.append("Devis gratuit.")
        if not buyer.get("is_business"):
            # A quote signed at the consumer's home is an off-premises contract: 14 days to
            # withdraw (Code de la consommation L221-18), except urgent repairs the consumer
            # asked for (L221-28, 8°); the information is due before signing (L221-5).
            mentions.append(
                "Si ce devis est signé hors de nos locaux (à votre domicile, par exemple), vous disposez d'un "
                "délai de rétractation de 14 jours à compter de la signature (art. L221-18 du Code de la "
                "consommation), sauf travaux urgents d'entretien ou de réparation que vous avez demandés "
                "(art. L221-28). Pour l'exercer, envoyez-nous avant la fin du délai le formulaire joint "
                "en dernière page ou toute déclaration dénuée d'ambiguïté (art. L221-21)."
            )
    if doc.kind in INVOICE_KINDS:
        if buyer.get("is_business"):
            mentions.append(_penalty_mention(seller.get("late_penalty_rate_bp"), due or on, doc.company_id))
            # D441-5: the 40 € fixed indemnity, printed as an amount, professional buyers only.
            mentions.append(
                f"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
                f"{formatting.format_money(terms.RECOVERY_INDEMNITY_CENTS)} "
                f"(art. L441-10 et D441-5 du Code de commerce)."
            )
        else:
            mentions.append("En cas de retard de paiement, des intérêts au taux légal courent à compter de la "
                            "mise en demeure (art. 1344-1 du Code civil).")
        mentions.append(seller.get("early_payment_discount") or "Pas d'escompte pour paiement anticipé.")
    return tuple(mentions)


def _reduced_rate_mention(doc: Document) -> str:
    # 10 %: CGI art. 279-0 bis (improvement work); 5,5 %: art. 278-0 bis A (energy
    # renovation). Both require a home finished more than two years ago and the client's
    # attestation; cite only the articles of the rates the document uses.
    rates = {int(row[0]) for row in doc.vat_breakdown or ()}
    articles = [a for rate, a in ((1000, "279-0 bis"), (550, "278-0 bis A")) if rate in rates]
    cited = " et ".join(articles) or "279-0 bis"
    return ("Taux réduit de TVA appliqué sur la base de l'attestation remise par le client : travaux dans un "
            f"logement achevé depuis plus de deux ans (CGI art. {cited}).")


def _penalty_mention(contract_rate_bp: int | None, due: date, company_id: int) -> str:
    # L441-10, II: the rate must be stated; without a contract rate it is the ECB rate of the
    # half-year + 10 points. Penalties run from the day after the due date, so the figure
    # printed is the one of the due date's half-year; when that half-year's ECB rate is not
    # in our table yet, print the legal formula rather than a figure we cannot vouch for.
    tail = ("exigibles dès le lendemain de la date d'échéance, sans qu'un rappel soit nécessaire "
            "(art. L441-10 du Code de commerce).")
    if contract_rate_bp:
        return f"Pénalités de retard au taux annuel de {format_percent_bp(contract_rate_bp)}, {tail}"
    formula = "taux de refinancement de la BCE majoré de 10 points"
    start = terms.half_year_start(due)
    tables = terms.load_tables(due, company_id)
    if start in tables.provisional_ecb:
        return (f"Pénalités de retard au {formula} (taux en vigueur au premier jour du semestre de l'échéance), "
                f"{tail}")
    rate = terms.b2b_penalty_rate_bp(due, contract_rate_bp=None, ecb_table=tables.ecb)
    half = "premier" if start.month == 1 else "second"
    return (f"Pénalités de retard au {formula}, soit {format_percent_bp(rate)} l'an "
            f"au {half} semestre {start.year}, {tail}")


def payment_terms_sentence(doc: Document, due: date | None, issue: date) -> str | None:
    if doc.kind not in INVOICE_KINDS or due is None:
        return None
    days = (due - issue).days
    when = "à réception" if days <= 0 else f"à {days} jours"
    return f"Paiement {when}, au plus tard le {formatting.format_date(due)}."
