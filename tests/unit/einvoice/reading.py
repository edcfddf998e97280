"""Reading an e-invoice XML back in tests: XPath with the CII prefixes, amounts as cents."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from output.einvoice.cii import NSMAP


def parse(xml: bytes):
    return etree.fromstring(xml)


def xpath(root, path: str) -> list:
    """Elements or strings at ``path`` (prefixes rsm, ram, udt, qdt)."""
    return root.xpath(path, namespaces=NSMAP)


def text(root, path: str) -> str:
    """The text of the one element at ``path``."""
    found = xpath(root, path)
    assert len(found) == 1, f"{path}: {len(found)} matches"
    return found[0].text


def texts(root, path: str) -> list[str]:
    return [element.text for element in xpath(root, path)]


def cents(value: str) -> int:
    """An XML amount read back as integer cents; fails on more than two decimals."""
    amount = Decimal(value) * 100
    assert amount == amount.to_integral_value(), value
    return int(amount)
