"""Code lists of the AFNOR XP Z12-013 Flow Service (version 1.1.0) and the lifecycle statuses.

The values are copied from the definition's enums (components/schemas FlowSyntax, ProcessingRule,
FlowType, FlowDirection, FlowAckStatus, ReasonCodeEnum) so the rest of the code compares against
names, not string literals. Lifecycle codes 200-213 are those of XP Z12-012 as published by the
platforms (see /work/shared/einvoicing/NOTES.md).
"""

from __future__ import annotations

from types import MappingProxyType


class FlowSyntax:
    CII = "CII"
    UBL = "UBL"
    FACTUR_X = "Factur-X"
    CDAR = "CDAR"  # lifecycle statuses (UN/CEFACT Cross Domain Acknowledgement And Response)
    FRR = "FRR"  # e-reporting
    ALL = frozenset({CII, UBL, FACTUR_X, CDAR, FRR})
    INVOICE = frozenset({CII, UBL, FACTUR_X})


class ProcessingRule:
    B2B = "B2B"  # e-invoicing between French VAT-registered businesses
    B2B_INT = "B2BInt"  # international B2B e-reporting
    B2C = "B2C"  # sales to consumers, e-reporting
    OUT_OF_SCOPE = "OutOfScope"
    ARCHIVE_ONLY = "ArchiveOnly"
    NOT_APPLICABLE = "NotApplicable"
    ALL = frozenset({B2B, B2B_INT, B2C, OUT_OF_SCOPE, ARCHIVE_ONLY, NOT_APPLICABLE})


class FlowType:
    CUSTOMER_INVOICE = "CustomerInvoice"  # our sales invoice (non self-billed outgoing)
    SUPPLIER_INVOICE = "SupplierInvoice"  # an invoice we receive
    STATE_INVOICE = "StateInvoice"
    CUSTOMER_INVOICE_LC = "CustomerInvoiceLC"  # a lifecycle status about one of our sales invoices
    SUPPLIER_INVOICE_LC = "SupplierInvoiceLC"
    STATE_CUSTOMER_INVOICE_LC = "StateCustomerInvoiceLC"
    STATE_SUPPLIER_INVOICE_LC = "StateSupplierInvoiceLC"
    AGGREGATED_CUSTOMER_TRANSACTION_REPORT = "AggregatedCustomerTransactionReport"
    # The definition's description calls this one "IndividualCustomerTransactionReport"; the enum,
    # which is what is validated, says "Unitary...".
    UNITARY_CUSTOMER_TRANSACTION_REPORT = "UnitaryCustomerTransactionReport"
    AGGREGATED_CUSTOMER_PAYMENT_REPORT = "AggregatedCustomerPaymentReport"
    UNITARY_CUSTOMER_PAYMENT_REPORT = "UnitaryCustomerPaymentReport"
    UNITARY_SUPPLIER_TRANSACTION_REPORT = "UnitarySupplierTransactionReport"
    MULTI_FLOW_REPORT = "MultiFlowReport"
    LIFECYCLE = frozenset({CUSTOMER_INVOICE_LC, SUPPLIER_INVOICE_LC, STATE_CUSTOMER_INVOICE_LC,
                           STATE_SUPPLIER_INVOICE_LC})
    REPORTS = frozenset({AGGREGATED_CUSTOMER_TRANSACTION_REPORT, UNITARY_CUSTOMER_TRANSACTION_REPORT,
                         AGGREGATED_CUSTOMER_PAYMENT_REPORT, UNITARY_CUSTOMER_PAYMENT_REPORT,
                         UNITARY_SUPPLIER_TRANSACTION_REPORT, MULTI_FLOW_REPORT})


class FlowDirection:
    IN = "In"  # from the platform to us
    OUT = "Out"  # from us to the platform


class AckStatus:
    PENDING = "Pending"  # not yet integrated
    OK = "Ok"  # antivirus, integrity, technical rules and unicity checks passed
    ERROR = "Error"


class ReasonCode:
    """Acknowledgement reason codes; the definition lets a platform add its own (e.g. REJ_SEMAN)."""

    EMPTY_ATTACHMENT = "EmptyAttachement"  # sic, as spelled in the definition
    ATTACHMENT_TYPE_ERROR = "AttachmentTypeError"
    EMPTY_FLOW = "EmptyFlow"
    OTHER_TECHNICAL_ERROR = "OtherTechnicalError"
    INVALID_SCHEMA = "InvalidSchema"
    FILE_SIZE_EXCEEDED = "FileSizeExceeded"
    FLOW_TYPE_ERROR = "FlowTypeError"
    ALREADY_EXISTING_FLOW = "AlreadyExistingFlow"
    VIRUS_FOUND = "VirusFound"
    CHECKSUM_MISMATCH = "ChecksumMismatch"
    LC_INVALID_STATUS = "InvoiceLCInvalidStatus"
    LC_STATUS_ERROR = "InvoiceLCStatusError"
    LC_RULE_ERROR = "InvoiceLCRuleError"
    LC_ACCESS_DENIED = "InvoiceLCAccessDenied"
    LC_AMOUNT_ERROR = "InvoiceLCAmountError"


class DocType:
    """What GET /v1/flows/{flowId} returns (query parameter docType)."""

    METADATA = "Metadata"
    ORIGINAL = "Original"
    CONVERTED = "Converted"
    READABLE_VIEW = "ReadableView"
    ALL = frozenset({METADATA, ORIGINAL, CONVERTED, READABLE_VIEW})


class Status:
    """Invoice lifecycle statuses (CDAR ProcessConditionCode), XP Z12-012."""

    DEPOSEE = 200
    EMISE = 201
    RECUE = 202
    MISE_A_DISPOSITION = 203
    PRISE_EN_CHARGE = 204
    APPROUVEE = 205
    APPROUVEE_PARTIELLEMENT = 206
    EN_LITIGE = 207
    SUSPENDUE = 208
    COMPLETEE = 209
    REFUSEE = 210
    PAIEMENT_TRANSMIS = 211
    ENCAISSEE = 212
    REJETEE = 213


STATUS_LABELS = MappingProxyType({
    200: "Déposée",
    201: "Émise par la plateforme",
    202: "Reçue par la plateforme",
    203: "Mise à disposition",
    204: "Prise en charge",
    205: "Approuvée",
    206: "Approuvée partiellement",
    207: "En litige",
    208: "Suspendue",
    209: "Complétée",
    210: "Refusée",
    211: "Paiement transmis",
    212: "Encaissée",
    213: "Rejetée",
})

# Statuses a seller (or the tool acting for it) sends itself. 212 is mandatory when VAT is due on
# receipts (CGI art. 269, 2-c; XP Z12-012); the others come from the platforms or the buyer.
SELLER_STATUSES = frozenset({Status.ENCAISSEE})
