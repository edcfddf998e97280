"""Electronic invoices: Factur-X (PDF/A-3 + CII XML, profile EN 16931) and their checks.

- ``output.einvoice.cii``: ``cii_xml(view)``, the XML of an issued invoice or credit note,
  built from the same ``DocumentView`` as its PDF.
- ``output.einvoice.facturx``: ``embed(pdf, xml)`` and ``extract(pdf)``.
- ``output.einvoice.check``: ``check(data)``, the official XSD and schematrons (EN 16931 and
  the French CTC rules "BR-FR"), and ``check_xsd(xml)``, the cheap issue-time check.

Like the rest of ``output``, nothing here knows the database: the domain fills the view.
The submodules are imported explicitly (``check`` loads Saxon, which the others do not need).
"""
