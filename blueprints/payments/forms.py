"""The payments page has only a GET filter form, parsed by documents_web.parse_payment_filters;
recording and cancelling happen on the invoice page (blueprints/invoices/forms.py)."""
