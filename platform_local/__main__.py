"""python -m platform_local --port 8765 [--interval 5] [--state FILE]: the local platform for the demo."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .app import create_platform_app, store_of
from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, PlatformConfig
from .server import serve_in_thread

# The business clients of Encaisse's demo company (domain/demo.py), each with a script that shows
# one outcome: approved, paid, refused, disputed. SIRENs are made up (valid Luhn keys).
ENCAISSE_DEMO_BUYERS = [
    {"siren": "736834730", "name": "SCI Les Terrasses", "siret": "73683473000011", "city": "Lyon",
     "postcode": "69002", "line": "Enabled", "scenario": [200, 202, 203, 204, 205]},
    {"siren": "552100554", "name": "Boulangerie Au Bon Pain SARL", "siret": "55210055400013", "city": "Lyon",
     "postcode": "69002", "line": "Enabled", "scenario": [200, 202, 203, 204, 205, 211]},
    {"siren": "443061841", "name": "Régie Immobilière Bellecour", "siret": "44306184100015", "city": "Lyon",
     "postcode": "69002", "line": "Enabled",
     "scenario": [200, 202, 203, 204, {"code": 210, "reasonCode": "TX_TVA_ERR", "reason": "Taux de TVA erroné"}]},
    {"siren": "517320487", "name": "Bâtir Ensemble SAS", "siret": "51732048700013", "city": "Lyon",
     "postcode": "69008", "line": "Enabled",
     "scenario": [200, 202, 203, {"code": 207, "reasonCode": "QTE_ERR", "reason": "Quantité contestée"}]},
    {"siren": "401233168", "name": "Hôtel du Parc", "siret": "40123316800011", "city": "Lyon",
     "postcode": "69006", "line": "Enabled", "scenario": [200, 202, 203, 204, 205]},
    {"siren": "564961563", "name": "Syndic Rhône Copro", "siret": "56496156300019", "city": "Lyon",
     "postcode": "69006", "line": "Enabled", "scenario": [200, 202, 203, 204, 205]},
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m platform_local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--interval", type=float, default=5.0,
                        help="seconds between two lifecycle statuses; 0: only on POST /_control/advance")
    parser.add_argument("--state", default=None, help="JSON file keeping flows between runs")
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)
    parser.add_argument("--token-ttl", type=int, default=300)
    parser.add_argument("--encaisse-demo", action="store_true",
                        help="also list the business clients of Encaisse's demo company in the directory")
    parser.add_argument("--lenient", action="store_true",
                        help="record invalid answers instead of turning them into 500s")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    config = PlatformConfig(clients={args.client_id: args.client_secret}, token_ttl=args.token_ttl,
                            status_interval=args.interval or None, state_file=args.state, strict=not args.lenient)
    app = create_platform_app(config)
    if args.encaisse_demo:
        directory = store_of(app).directory
        for entry in ENCAISSE_DEMO_BUYERS:
            if entry["siren"] not in directory.units:
                directory.add_company(entry)
    base_url, stop = serve_in_thread(app, host=args.host, port=args.port)
    print(f"Plateforme locale sur {base_url}", flush=True)
    print(f"  flux      : {base_url}/flow-service")
    print(f"  annuaire  : {base_url}/directory-service")
    print(f"  jeton     : {base_url}/oauth/token (client {args.client_id})")
    print(f"  pilotage  : {base_url}/_control/state", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    stop()


if __name__ == "__main__":
    main()
