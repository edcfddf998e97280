"""Support for the platform tests: sample data, the running platform's handle, a webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from werkzeug.wrappers import Request, Response

from output.platform import PlatformSettings
from output.platform.webhook import WebhookDelivery, WebhookRejected, verify_webhook
from platform_local import PlatformConfig, create_platform_app, serve_in_thread, store_of
from platform_local.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from platform_local.state import Store

ROOT_DIR = Path(__file__).resolve().parents[2]  # the repository, where `python -m platform_local` runs
SELLER_SIREN = "812345676"
APPROVING_BUYER = "200000008"
REFUSING_BUYER = "300000007"
DISPUTING_BUYER = "400000006"
UNROUTABLE_BUYER = "700000003"
WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LWRlLXRlc3QtcG91ci1sZXMtd2ViaG9va3M="  # base64 of a test key

CII_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>S1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{number}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20270915</udt:DateTimeString></ram:IssueDateTime>{extra}
    <ram:IncludedNote>
      <ram:Content>Pénalités de retard : trois fois le taux d'intérêt légal.</ram:Content>
      <ram:SubjectCode>PMD</ram:SubjectCode>
    </ram:IncludedNote>
    <ram:IncludedNote>
      <ram:Content>Indemnité forfaitaire pour frais de recouvrement : 40 EUR.</ram:Content>
      <ram:SubjectCode>PMT</ram:SubjectCode>
    </ram:IncludedNote>
    <ram:IncludedNote>
      <ram:Content>Pas d'escompte pour paiement anticipé.</ram:Content>
      <ram:SubjectCode>AAB</ram:SubjectCode>
    </ram:IncludedNote>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Remplacement chauffe-eau</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>1000.00</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>1000.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Martin Plomberie Chauffage</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{seller}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>69007</ram:PostcodeCode>
          <ram:LineOne>14 rue des Tanneurs</ram:LineOne>
          <ram:CityName>Lyon</ram:CityName>
          <ram:CountryID>FR</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="0225">{seller}</ram:URIID></ram:URIUniversalCommunication>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR19812345676</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Client SAS</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{buyer}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>75002</ram:PostcodeCode>
          <ram:LineOne>1 rue de la Paix</ram:LineOne>
          <ram:CityName>Paris</ram:CityName>
          <ram:CountryID>FR</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="0225">{buyer}</ram:URIID></ram:URIUniversalCommunication>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent>
        <ram:OccurrenceDateTime><udt:DateTimeString format="102">20270910</udt:DateTimeString></ram:OccurrenceDateTime>
      </ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID>FR7630006000011234567890189</ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>200.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>1000.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>72</ram:DueDateTypeCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20271015</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>1000.00</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>1000.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">200.00</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{grand_total}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{grand_total}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


@dataclass
class LocalPlatform:
    """A running local PA: its URLs, its state, and its control endpoints."""

    base_url: str
    store: Store
    http: requests.Session
    expect_invalid_requests: bool = False

    def settings(self, **overrides) -> PlatformSettings:
        values = {"flow_base_url": f"{self.base_url}/flow-service",
                      "directory_base_url": f"{self.base_url}/directory-service",
                      "token_url": f"{self.base_url}/oauth/token", "client_id": DEMO_CLIENT_ID,
                      "client_secret": DEMO_CLIENT_SECRET, "connect_timeout": 2.0, "read_timeout": 10.0}
        values.update(overrides)
        return PlatformSettings(**values)

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, f"{self.base_url}/_control{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def advance(self, **body) -> dict:
        return self.control("POST", "/advance", body)

    def fault(self, operation: str, kind: str, **extra) -> None:
        self.control("POST", "/faults", {"operation": operation, "kind": kind, **extra})


@dataclass
class RequestCounter:
    """Counts the requests a client sent to the AFNOR paths (a requests response hook)."""

    afnor: int = 0

    def __call__(self, response, *args, **kwargs):
        path = requests.utils.urlparse(response.request.url).path
        if path.startswith(("/flow-service/", "/directory-service/")):
            self.afnor += 1


@dataclass
class WebhookReceiver:
    """Encaisse's side of the webhook, as the web layer will do it: verify, de-duplicate, record."""

    secret: str
    url: str = ""
    clock_offset: float = 0.0  # seconds added to the receiver's clock
    fail_next: int = 0  # answer 500 to this many deliveries before accepting
    accepted: list[WebhookDelivery] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    failed: int = 0
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        with self.arrived:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.failed += 1
                self.arrived.notify_all()
                return Response("indisponible", status=500)(environ, start_response)
            try:
                delivery = verify_webhook(body, dict(request.headers), self.secret,
                                          now=time.time() + self.clock_offset)
            except WebhookRejected as rejection:
                self.rejected.append(str(rejection))
                self.arrived.notify_all()
                return Response("refusé", status=401)(environ, start_response)
            if any(d.delivery_id == delivery.delivery_id for d in self.accepted):
                self.duplicates.append(delivery.delivery_id)  # a retry or a replay: already handled
            else:
                self.accepted.append(delivery)
            self.arrived.notify_all()
        return Response(status=200)(environ, start_response)

    def wait_for(self, predicate: Callable[[WebhookReceiver], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate(self)` holds (woken by each arrival), at most `timeout` seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: predicate(self), timeout)


def start_local_platform(config: dict) -> tuple[LocalPlatform, Callable[[], None]]:
    """A fresh local platform served on loopback in a thread; returns it and its stop function."""
    app = create_platform_app(PlatformConfig(**config))
    base_url, stop = serve_in_thread(app)
    return LocalPlatform(base_url=base_url, store=store_of(app), http=requests.Session()), stop
