"""Benchmark bank statement import: parse 10,000 lines, match them against 20,000 open invoices.

Builds a synthetic, deterministic company (5,000 clients, 20,000 open invoices; client names
with a long tail like real surnames, or `--few-names` for the worst case where every name is
drawn from 16 first names and 50 surnames) and a statement
of 10,000 lines in four formats (a La Banque Postale CSV, OFX, CAMT.053, CFONB 120): 40 % debits,
and credits that carry an invoice number, an RF reference, only the payer's name, pay two
invoices at once, pay part of an invoice, or match nothing. Prints JSON with the median of
`--runs` runs of each step, in seconds, and how the credits were matched.

Usage: .venv/bin/python bench/bank_bench.py [--runs 3] [--lines 10000] [--invoices 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The app's modules, from the checkout (the bench runs as a script, before the package is on the path).
from domain.banking.matching import OpenItem, match_lines  # noqa: E402
from domain.banking.references import format_rf, rf_for_invoice  # noqa: E402
from domain.banking.statements import parse_statement  # noqa: E402

FIRST = (
    "Jean", "Marie", "Pierre", "Sophie", "Luc", "Claire", "Paul", "Julie", "Michel", "Anne", "Louis",
    "Emma", "Hugo", "Léa", "Nicolas", "Chloé",
)  # fmt: skip
LAST = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
    "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel",
    "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine",
    "Chevalier", "Robin",
)  # fmt: skip
COMPANY = (
    "Terrasses", "Jardins", "Tilleuls", "Horizon", "Bâti", "Rénov", "Habitat", "Provence", "Azur", "Alpes",
    "Loire", "Atlantique", "Vosges",
)  # fmt: skip
START = date(2026, 1, 1)


SYLLABLES = (
    "ber", "car", "dan", "fon", "gal", "jou", "lam", "mar", "nor", "pel", "quen", "ral", "sau", "tel",
    "van", "bou", "che", "gui", "lou", "ron",
)  # fmt: skip


def surname(rng: random.Random, few_names: bool) -> str:
    """A surname: like real ones, a few very common (a third), most of them rare."""
    if few_names or rng.random() < 0.33:
        return rng.choice(LAST)
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()


def make_invoices(rng: random.Random, count: int, clients: int, few_names: bool = False) -> list[OpenItem]:
    names = []
    for i in range(clients):
        if i % 4 == 0:
            names.append(f"SCI Les {rng.choice(COMPANY)} {surname(rng, few_names)}")
        else:
            names.append(f"{rng.choice(FIRST)} {surname(rng, few_names)}")
    items = []
    for number in range(1, count + 1):
        issued = START + timedelta(days=rng.randrange(90))
        invoice = f"F-2026-{number:05d}" if number >= 10000 else f"F-2026-{number:04d}"
        items.append(
            OpenItem(
                invoice_id=number,
                number=invoice,
                rf_reference=rf_for_invoice(invoice),
                client_id=number % clients,
                client_name=names[number % clients],
                remaining_cents=rng.randrange(5_000, 900_000, 5),
                issue_date=issued,
                due_date=issued + timedelta(days=30),
            )
        )
    return items


def make_lines(rng: random.Random, items: list[OpenItem], count: int) -> list[tuple[date, int, str, str]]:
    """(date, cents, label, remittance) of a statement, oldest first."""
    by_client: dict[int, list[OpenItem]] = {}
    for item in items:
        by_client.setdefault(item.client_id, []).append(item)
    lines = []
    for _ in range(count):
        day = START + timedelta(days=rng.randrange(120))
        item = rng.choice(items)
        payer = item.client_name.upper()
        kind = rng.random()
        if kind < 0.40:
            lines.append((day, -rng.randrange(100, 200_000), f"CB {rng.choice(LAST).upper()} {day:%d/%m}", ""))
        elif kind < 0.58:
            lines.append((day, item.remaining_cents, f"VIR SEPA {payer}", f"FACTURE {item.number}"))
        elif kind < 0.66:
            lines.append((day, item.remaining_cents, f"VIR SEPA {payer}", format_rf(item.rf_reference or "")))
        elif kind < 0.80:
            lines.append((day, item.remaining_cents, f"VIR SEPA M OU MME {payer}", "REGLEMENT"))
        elif kind < 0.88 and len(by_client[item.client_id]) > 1:
            first, second = by_client[item.client_id][:2]
            cents = first.remaining_cents + second.remaining_cents
            lines.append((day, cents, f"VIREMENT DE {payer}", "TRAVAUX"))
        elif kind < 0.94:
            lines.append((day, item.remaining_cents // 2, f"VIR SEPA {payer}", "ACOMPTE"))
        else:
            lines.append((day, rng.randrange(1_000, 500_000), f"VIR SEPA {rng.choice(LAST).upper()} TEST", ""))
    lines.sort(key=lambda line: line[0])
    return lines


def as_csv(lines) -> bytes:
    rows = ["Numéro Compte   ;0123456X020", "Type            ;CCP", "", "Date;Libellé;Montant(EUROS)"]
    for day, cents, label, remittance in reversed(lines):
        euros, rest = divmod(abs(cents), 100)
        rows.append(f'{day:%d/%m/%Y};"{label} {remittance}";{"-" if cents < 0 else "+"}{euros},{rest:02d}')
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def as_ofx(lines) -> bytes:
    out = ["OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII", "CHARSET:1252",
           "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", "", "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>",
           "<CURDEF>EUR<BANKACCTFROM><BANKID>30004<BRANCHID>00003<ACCTID>12345678901<ACCTTYPE>CHECKING",
           "</BANKACCTFROM><BANKTRANLIST>"]  # fmt: skip
    for n, (day, cents, label, remittance) in enumerate(lines):
        out.append(
            f"<STMTTRN><TRNTYPE>{'CREDIT' if cents > 0 else 'DEBIT'}<DTPOSTED>{day:%Y%m%d}"
            f"<TRNAMT>{cents / 100:.2f}<FITID>{n}<NAME>{label[:32]}<MEMO>{remittance}</STMTTRN>"
        )
    out.append("</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>")
    return "\r\n".join(out).encode("cp1252")


def as_camt(lines) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>',
           "<GrpHdr><MsgId>B</MsgId><CreDtTm>2026-05-01T00:00:00</CreDtTm></GrpHdr><Stmt><Id>S</Id>",
           "<CreDtTm>2026-05-01T00:00:00</CreDtTm>",
           "<Acct><Id><IBAN>FR7630004000031234567890143</IBAN></Id></Acct>"]  # fmt: skip
    for n, (day, cents, label, remittance) in enumerate(lines):
        side, party = ("CRDT", "Dbtr") if cents > 0 else ("DBIT", "Cdtr")
        out.append(
            f'<Ntry><Amt Ccy="EUR">{abs(cents) / 100:.2f}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><AcctSvcrRef>{n}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><RltdPties><{party}><Nm>{label[9:]}</Nm></{party}></RltdPties>"
            f"<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls><AddtlNtryInf>{label}</AddtlNtryInf></Ntry>"
        )
    out.append("</Stmt></BkToCstmrStmt></Document>")
    return "\n".join(out).encode("utf-8")


def as_cfonb(lines) -> bytes:
    def amount(cents: int) -> str:
        digits = f"{abs(cents):014d}"
        return digits[:-1] + ("{ABCDEFGHI" if cents >= 0 else "}JKLMNOPQR")[int(digits[-1])]

    head = "30004    00003EUR2 12345678901  "
    out = ["01" + head + f"{lines[0][0]:%d%m%y}" + " " * 50 + amount(0) + " " * 16]
    for day, cents, label, remittance in lines:
        body = f"30004053200003EUR2 1234567890105{day:%d%m%y}  {day:%d%m%y}"
        out.append("04" + body + f"{label[:31]:31}" + "  " + "       " + "  " + amount(cents) + " " * 16)
        out.append("05" + body[:38] + "     LCC" + f"{remittance[:70]:70}" + "  ")
    out.append("07" + head + f"{lines[-1][0]:%d%m%y}" + " " * 50 + amount(sum(c for _d, c, _l, _r in lines)) + " " * 16)
    return ("\r\n".join(out) + "\r\n").encode("latin-1")


def median_seconds(func, runs: int) -> tuple[float, object]:
    samples = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - start)
    return round(statistics.median(samples), 3), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument(
        "--few-names", action="store_true", help="worst case: every client named from 16 first names and 50 surnames"
    )
    args = parser.parse_args()

    rng = random.Random(20260301)
    items = make_invoices(rng, args.invoices, clients=args.invoices // 4, few_names=args.few_names)
    lines = make_lines(rng, items, args.lines)
    files = {"csv": as_csv(lines), "ofx": as_ofx(lines), "camt053": as_camt(lines), "cfonb120": as_cfonb(lines)}

    results: dict[str, object] = {
        "lines": args.lines,
        "open_invoices": args.invoices,
        "clients": args.invoices // 4,
        "names": "few (worst case)" if args.few_names else "long tail",
        "runs": args.runs,
    }
    statement = None
    for name, data in files.items():
        seconds, parsed = median_seconds(
            lambda data=data, name=name: parse_statement(data, f"bench.{name}"), args.runs
        )
        results[f"parse_{name}_s"] = seconds
        assert len(parsed.lines) == args.lines, (name, len(parsed.lines))  # type: ignore[union-attr]
        if name == "csv":
            statement = parsed
    match_s, matches = median_seconds(lambda: match_lines(statement.lines, items), args.runs)  # type: ignore[union-attr]
    results["match_s"] = match_s
    results["parse_csv_and_match_s"] = round(results["parse_csv_s"] + match_s, 3)  # type: ignore[operator]
    results["credits"] = len(matches)  # type: ignore[arg-type]
    results["kinds"] = dict(Counter(m.kind for m in matches.values()))  # type: ignore[union-attr]
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
