"""Which documents go through the platform, which payments are reported, and the French words
for the platform's statuses and reason codes."""

from __future__ import annotations

from domain.billing.models import INVOICE_KINDS, Document, Kind, VatRegime
from domain.core.models import Company
from output.platform.codes import STATUS_LABELS, Status

FRANCE = {"france", "fr", ""}

# What each lifecycle status means for collections (XP Z12-012 statuses, see NOTES.md).
STOPS_REMINDERS = frozenset({Status.REJETEE, Status.REFUSEE})  # 213: correct and re-issue; 210: disputed
PAUSES_REMINDERS = frozenset({Status.EN_LITIGE})  # 207: wait for the dispute to be settled
SETTLES_DISPUTE = frozenset({Status.APPROUVEE, Status.APPROUVEE_PARTIELLEMENT, Status.COMPLETEE,
                             Status.PAIEMENT_TRANSMIS, Status.ENCAISSEE})
DISPUTE_PAUSE_DAYS = 30  # a dispute with no news for a month: reminders resume by themselves

STATUS_HELP = {
    Status.DEPOSEE: "La plateforme a reçu la facture et l'a acceptée techniquement.",
    Status.REJETEE: "La facture a été rejetée : elle doit être corrigée (avoir puis nouvelle facture), "
                    "jamais relancée.",
    Status.REFUSEE: "Le client refuse la facture : les relances sont arrêtées.",
    Status.EN_LITIGE: "Le client conteste la facture : les relances sont suspendues en attendant.",
    Status.ENCAISSEE: "L'encaissement a été déclaré.",
}

ACK_LABELS = {"Pending": "En attente de contrôle", "Ok": "Acceptée par la plateforme",
              "Error": "Refusée par la plateforme"}

REASON_LABELS = {
    "EmptyAttachement": "pièce jointe vide",
    "AttachmentTypeError": "type de pièce jointe refusé",
    "EmptyFlow": "fichier vide",
    "OtherTechnicalError": "erreur technique de la plateforme",
    "InvalidSchema": "fichier non conforme au format (XSD)",
    "FileSizeExceeded": "fichier trop volumineux",
    "FlowTypeError": "type de flux incorrect",
    "AlreadyExistingFlow": "flux déjà reçu",
    "VirusFound": "virus détecté",
    "ChecksumMismatch": "empreinte SHA-256 différente du fichier",
    "REJ_SEMAN": "règle de la norme EN 16931 ou des règles françaises non respectée",
    "REJ_UNI": "numéro de facture déjà déposé",
    "REJ_ADR": "destinataire introuvable dans l'annuaire",
    "TX_TVA_ERR": "taux ou montant de TVA contesté",
    "QTE_ERR": "quantités contestées",
    "InvoiceLCRuleError": "statut mal formé",
    "InvoiceLCStatusError": "statut non autorisé",
    "InvoiceLCInvalidStatus": "statut impossible pour cette facture",
    "InvoiceLCAmountError": "montants encaissés incohérents",
}


def status_label(code: int | None) -> str:
    """"205 Approuvée"; '' for None."""
    if code is None:
        return ""
    return f"{code} {STATUS_LABELS.get(code, 'Statut inconnu')}"


def reason_fr(code: str, message: str = "") -> str:
    """A reason code and message as one French phrase."""
    label = REASON_LABELS.get(code, code)
    return f"{label} : {message}" if message and message != label else label


def is_b2b_france(doc: Document) -> bool:
    """An invoice or credit note to a business client established in France goes through the
    platform (CGI art. 289 bis: e-invoicing between VAT-registered businesses in France)."""
    if doc.kind not in (*INVOICE_KINDS, Kind.CREDIT_NOTE):
        return False
    buyer = (doc.snapshot or {}).get("buyer") or {}
    is_business = buyer.get("is_business", doc.client.is_business)
    country = str(buyer.get("country", doc.client.country) or "").strip().lower()
    return bool(is_business and country in FRANCE)


def is_b2c(doc: Document) -> bool:
    """A sale to a consumer (non-assujetti): e-reported, not e-invoiced (CGI art. 290)."""
    if doc.kind not in (*INVOICE_KINDS, Kind.CREDIT_NOTE):
        return False
    buyer = (doc.snapshot or {}).get("buyer") or {}
    return not buyer.get("is_business", doc.client.is_business)


def vat_on_receipts(doc: Document, company: Company) -> bool:
    """VAT falls due when the price is received: services (CGI art. 269, 2-c), unless the company
    opted for VAT on debits; goods are taxed at delivery. Mixed invoices: their services part is
    on receipts, so they are reported too. No VAT charged (franchise, CGI art. 293 B; reverse
    charge, art. 283-2 nonies): nothing to report."""
    if company.vat_on_debits or doc.vat_regime != VatRegime.NORMAL or doc.total_vat_cents <= 0:
        return False
    return (doc.operation_category or "services") in ("services", "mixed")
