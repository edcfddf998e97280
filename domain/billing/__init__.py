"""Money, documents (quotes, invoices, credit notes), numbering, payments, catalogue, payment
terms and late-payment rates, legal mentions, and the PDF frozen at issue."""
