"""E-invoices through an approved platform (PA): transmit, follow each status, report what was cashed.

Above billing and collections (it reads documents and payments, and stops or pauses reminders);
beside the portal (the lifecycle panel reads the "platform_status" events it writes, not this
package). The HTTP client (output.platform) is always passed in.

Reacting to issues and payments in the same transaction: `subscribers.connect()` subscribes handlers to the
"issued", "payment_recorded" and "payment_cancelled" events (domain/core/events.py), called at app
start. Each handler only inserts a work row with a unique key (one transmission per document, one
212 per payment and kind), in the transaction that issues or records the payment: the row exists
if and only if the change committed. Background runners then claim the rows one by one
(work.py) and post each with a trackingId derived from the row, searching it on the platform
before any second attempt: exactly one flow per document and per payment report.
"""

