"""The client's side of a document: its secret link, the client's answers (accept, refuse,
promise to pay) and the document's lifecycle (opened, viewed, accepted, paid)."""
