"""The installable web app and its offline copies: manifest, service worker, the list to keep."""
