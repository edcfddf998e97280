"""Matching statement credits against open invoices. Pure: plain values in, proposals out.

Each credit line gets one `Match`; debits are not looked at. In order, the first that applies
(the score is shown to the user; the bonus is up to 10 points for how close the name is):

1. exact, 100 for an RF reference, 98 for an invoice number: a reference of an open invoice is
   in the line (structured reference, label or remittance text). The amount goes to the
   referenced invoices, oldest due first; less than what remains is a partial payment, more is
   flagged (`over_balance_cents`), never absorbed.
2. suggestion, 89–95 (84–90 when the client has several invoices of that amount): the amount
   equals what remains on an invoice, the payer's name is close to its client's, and the date
   is plausible (from a week before the invoice to a year after its due date).
3. suggestion from the payer's name, for that one client:
   - 81–85: the amount is the sum of several of its invoices (subsets of 2 to 4 among its 12
     oldest: at most 781 sums tried);
   - 71–75: the amount of one of its invoices, at an unusual date;
   - 56–60: less than its oldest invoice that is larger: a partial payment (`partial`);
   - 51–55: more than everything it owes: all its invoices, the excess flagged;
   - 46–50: otherwise, its oldest invoices in order, the last one in part.
4. suggestion from the amount alone, when the name says nothing: 55 when a single open invoice
   has that amount (40 if the date is unusual), 35 for the closest due date among 2 or 3.
5. none, with the reason (no invoice; too many invoices of that amount; a reference that is
   not open).

A page may pre-tick scores of 80 and more. Exact and step-2 matches use up what remains on the
invoices they take, line after line in booking order, so a second payment of the same invoice
in the same statement is flagged as over the balance instead of being proposed twice. Other
suggestions are computed against what is left and use nothing up: the user confirms them one
by one.

Names. Banks print the payer as "VIR SEPA M OU MME DUPONT JEAN", "VIREMENT DE SCI LES TERRASSES
REF…", upper case, without accents, often cut. Both sides are folded (no accents, upper case),
cut into words, and stripped of bank words (VIR, SEPA, PRLV, REF…), civilities (M, MME, M OU
MME…), legal forms (SARL, SCI, STE…) and words with digits. The similarity is the share of the
client's name (weighted by word length) found among the line's words: a word counts fully when
equal, 0.9 when one is the other cut short (4 letters at least: TERRAS/TERRASSES), and by its
difflib ratio when it is at least 0.8 (a typo: TERASSES/TERRASSES 0.94, DUPOND/DUPONT 0.83).
difflib is the standard library's Ratcliff/Obershelp matcher: no dependency, deterministic,
and good on short words; it runs only on word pairs with the same first letter and is cached
(the same names come back line after line), so its quadratic cost stays small. Word order
does not matter (DUPONT JEAN / Jean Dupont = 1.0), and the line may say more than the name
(the rest of a label is not a penalty).

Speed. Everything is looked up in dictionaries built once: references, invoice numbers,
remaining amounts, (client, amount), and client names by the first four letters of each word
(rarer words weigh more, as in a search engine; at most 8 clients are compared with a line).
No line is ever compared with every invoice: matching 10,000 lines against 20,000 open
invoices of 5,000 clients takes about 1 s on a 2-core machine, 1.5 s when every client's name
is drawn from 50 surnames (bench/bank_bench.py).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from itertools import combinations
from typing import Literal, Protocol

from domain.billing.money import format_amount_input

from .references import (
    bank_upper,
    find_invoice_numbers,
    find_references,
    format_rf,
    invoice_number_key,
    rf_for_invoice,
    rf_prefixes,
)

__all__ = ["EXACT", "NONE", "SUGGESTION", "Match", "Matcher", "OpenItem", "match_lines", "name_similarity"]

EXACT: Literal["exact"] = "exact"
SUGGESTION: Literal["suggestion"] = "suggestion"
NONE: Literal["none"] = "none"
Kind = Literal["exact", "suggestion", "none"]

NAME_SIMILAR = 0.6  # share of the client's name found in the line
EARLY_DAYS = 7  # a transfer may leave a few days before the invoice is issued
LATE_DAYS = 365  # after that, a same-amount payment is less likely to be for this invoice
MAX_SPLIT_ITEMS = 12  # oldest invoices of a client tried as parts of one transfer
MAX_SPLIT_PARTS = 4
MAX_CANDIDATE_CLIENTS = 8  # clients whose names are compared with one line
MAX_AMOUNT_ONLY = 3  # more invoices with the same amount and no name: no suggestion
_COMMON_KEY_SHARE = 0.05  # a name key shared by more than 5 % of clients is not a clue


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice that still waits for money, as the matcher sees it."""

    invoice_id: int
    number: str
    rf_reference: str | None
    client_id: int
    client_name: str
    remaining_cents: int
    issue_date: date
    due_date: date


@dataclass(frozen=True, slots=True)
class Match:
    """What the matcher proposes for one credit line."""

    kind: Kind
    allocations: tuple[tuple[int, int], ...]  # (invoice_id, amount_cents) in allocation order
    score: int  # 0–100, shown to the user
    reason_fr: str
    over_balance_cents: int = 0  # money left after the allocations: flagged, never absorbed
    partial: bool = False  # an invoice keeps a remaining balance after this payment

    @property
    def allocated_cents(self) -> int:
        """Total given to invoices."""
        return sum(amount for _invoice, amount in self.allocations)

    @property
    def over_balance(self) -> bool:
        """True when the credit is more than the invoices proposed."""
        return self.over_balance_cents > 0


class CreditLine(Protocol):
    """What the matcher reads of a statement line (a StatementLine, or a stored row)."""

    @property
    def fingerprint(self) -> str: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def booking_date(self) -> date: ...
    @property
    def label(self) -> str: ...
    @property
    def remittance(self) -> str: ...
    @property
    def creditor_reference(self) -> str | None: ...
    @property
    def counterparty(self) -> str: ...


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[A-Z0-9]+")

# Words banks add around the payer's name, and words of the invoice context.
_BANK_WORDS = frozenset({
    "VIR", "VIREMENT", "VIRT", "VRT", "SEPA", "SCT", "INST", "INSTANTANE", "RECU", "RECUS",
    "EMIS", "FAVEUR", "VOTRE", "NOTRE", "PRLV", "PRELEVEMENT", "PRELEV", "EUROPEEN", "EUROPE",
    "REMISE", "VERSEMENT", "PAIEMENT", "REGLEMENT", "RGLT", "REGL", "CB", "CARTE", "CHEQUE",
    "CHEQUES", "CHQ", "REF", "REFERENCE", "MOTIF", "LIB", "LIBELLE", "DATE", "OPERATION",
    "FACTURE", "FACTURES", "FACT", "FAC", "FA", "FCT", "NUM", "NUMERO", "NO", "ACOMPTE", "SOLDE",
    "AVOIR", "DEVIS", "TRAVAUX", "CHANTIER", "EUR", "EUROS", "BQ", "BANQUE", "NOTPROVIDED", "ID",
    "DE", "DU", "DES", "LA", "LE", "LES", "AU", "AUX", "EN", "ET", "OU", "POUR", "PAR", "SUR",
})  # fmt: skip
_CIVILITIES = frozenset({
    "M", "MR", "MME", "MMES", "MLLE", "MLLES", "MM", "MONSIEUR", "MADAME", "MADEMOISELLE",
    "MESSIEURS", "DR", "ME", "MAITRE",
})  # fmt: skip
_LEGAL_FORMS = frozenset({
    "STE", "SOCIETE", "SARL", "SAS", "SASU", "EURL", "SA", "SCI", "SNC", "SCP", "SCM", "SELARL",
    "SCOP", "EI", "EIRL", "ETS", "ETABLISSEMENTS", "CIE",
})  # fmt: skip
_NOISE = _BANK_WORDS | _CIVILITIES | _LEGAL_FORMS


def name_words(text: str) -> tuple[str, ...]:
    """The words of a name or label that can identify a person or a company."""
    words = _WORD_RE.findall(bank_upper(text or ""))
    return tuple(w for w in words if len(w) > 1 and w.isalpha() and w not in _NOISE)


def _key(word: str) -> str:
    return word[:4]


@lru_cache(maxsize=65536)
def _close(word: str, other: str) -> float:
    """How close two different words are: 0.9 when one is the other cut short, else their
    difflib ratio when at least 0.8 (a typo), else 0. Cached: the same names come back."""
    if min(len(word), len(other)) >= 4 and (word.startswith(other) or other.startswith(word)):
        return 0.9
    if len(word) >= 5 and abs(len(word) - len(other)) <= 2:
        matcher = SequenceMatcher(None, word, other, autojunk=False)
        if matcher.quick_ratio() >= 0.8:
            ratio = matcher.ratio()
            if ratio >= 0.8:
                return ratio
    return 0.0


def _word_score(word: str, line_words: frozenset[str], by_initial: dict[str, list[str]]) -> float:
    if word in line_words:
        return 1.0
    return max((_close(word, other) for other in by_initial.get(word[0], ())), default=0.0)


def _initials(words: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for word in words:
        index[word[0]].append(word)
    return index


def _similarity(client_words: tuple[str, ...], line_words: frozenset[str], by_initial: dict[str, list[str]]) -> float:
    total = sum(len(w) for w in client_words)
    if total == 0:
        return 0.0
    return sum(len(w) * _word_score(w, line_words, by_initial) for w in client_words) / total


def name_similarity(client_name: str, line_text: str) -> float:
    """How much of a client's name is found in a bank line, from 0 to 1 (see module doc)."""
    client = name_words(client_name) or tuple(_WORD_RE.findall(bank_upper(client_name)))
    words = frozenset(name_words(line_text))
    return _similarity(client, words, _initials(words))


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _euros(cents: int) -> str:
    return f"{format_amount_input(cents)}\u00a0€"


def _numbers(items: Sequence[OpenItem]) -> str:
    numbers = [item.number for item in items]
    return numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " et " + numbers[-1]


# --------------------------------------------------------------------------------------------
# The matcher
# --------------------------------------------------------------------------------------------


@dataclass
class _Client:
    name: str
    words: tuple[str, ...]
    invoices: list[int] = field(default_factory=list)  # oldest due first


class _Line:
    """A credit line and what was read from it (each computed once, when first needed)."""

    def __init__(self, line: CreditLine, order: int) -> None:
        self.line = line
        self.order = order
        parts = (line.label, line.remittance, line.creditor_reference or "")
        self.text = bank_upper(" ".join(p for p in parts if p))  # folded once, read many times

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(name_words(f"{bank_upper(self.line.counterparty)} {self.text}"))

    @cached_property
    def initials(self) -> dict[str, list[str]]:
        return _initials(self.words)


class Matcher:
    """Indexes of the open invoices of one company, built once for a statement."""

    def __init__(self, open_items: Iterable[OpenItem]) -> None:
        self.items: dict[int, OpenItem] = {}
        self.remaining: dict[int, int] = {}
        self._by_rf: dict[str, int] = {}
        self._by_number: dict[str, list[int]] = defaultdict(list)
        self._by_amount: dict[int, list[int]] = defaultdict(list)
        self._by_client_amount: dict[tuple[int, int], list[int]] = defaultdict(list)
        self._clients: dict[int, _Client] = {}
        self._by_name_key: dict[str, set[int]] = defaultdict(set)

        for item in sorted(open_items, key=lambda i: (i.due_date, i.issue_date, i.number)):
            if item.remaining_cents <= 0:
                continue
            self.items[item.invoice_id] = item
            self.remaining[item.invoice_id] = item.remaining_cents
            reference = "".join((item.rf_reference or self._derived_rf(item.number) or "").split()).upper()
            if reference.startswith("RF"):
                self._by_rf[reference] = item.invoice_id
            for key in {invoice_number_key(item.number), _compact(item.number)}:
                if len(key) >= 4:
                    self._by_number[key].append(item.invoice_id)
            self._by_amount[item.remaining_cents].append(item.invoice_id)
            self._by_client_amount[(item.client_id, item.remaining_cents)].append(item.invoice_id)
            client = self._clients.get(item.client_id)
            if client is None:
                words = name_words(item.client_name) or tuple(_WORD_RE.findall(bank_upper(item.client_name)))
                client = self._clients[item.client_id] = _Client(item.client_name, words)
                for word in set(words):
                    self._by_name_key[_key(word)].add(item.client_id)
            client.invoices.append(item.invoice_id)
        self._common = max(20, int(len(self._clients) * _COMMON_KEY_SHARE))

    @staticmethod
    def _derived_rf(number: str) -> str | None:
        # References are derived from the number (see references.py): an invoice stored
        # without one still has the one printed on it.
        try:
            return rf_for_invoice(number)
        except ValueError:
            return None

    # ---------------------------------------------------------------------------- lookups

    def _referenced(self, entry: _Line) -> tuple[list[int], str]:
        """Invoices whose RF reference or number is in the line, and how they were found."""
        found: list[int] = []
        how = ""
        for candidates in rf_prefixes(entry.text):
            for prefix in candidates:
                invoice = self._by_rf.get(prefix)
                if invoice is not None:
                    if invoice not in found:
                        found.append(invoice)
                    how = how or f"référence {format_rf(prefix)} trouvée"
                    break
        by_number: list[int] = []
        for number in find_invoice_numbers(entry.text):
            by_number.extend(self._by_number.get(invoice_number_key(number), ()))
        words = _WORD_RE.findall(entry.text)
        for size in (1, 2, 3):
            for start in range(len(words) - size + 1):
                key = "".join(words[start : start + size])
                if len(key) >= 5 and not key.isalpha():  # a number has digits
                    by_number.extend(self._by_number.get(key, ()))
        new = [i for i in dict.fromkeys(by_number) if i not in found]
        if new:
            numbers = _numbers([self.items[i] for i in new])
            plural = "s" if len(new) > 1 else ""
            how_number = f"numéro{plural} {numbers} trouvé{plural} dans le libellé"
            how = f"{how} ; {how_number}" if how else how_number
            found.extend(new)
        return found, how

    def _candidate_clients(self, entry: _Line) -> list[tuple[float, int]]:
        """Clients whose name is close to the line's words: (similarity, client id), best first."""
        weights: dict[int, float] = {}
        total = max(len(self._clients), 1)
        for key in {_key(w) for w in entry.words}:
            clients = self._by_name_key.get(key)
            if not clients or len(clients) > self._common:
                continue
            weight = math.log(total / len(clients)) + 1.0  # rarer words say more
            for client_id in clients:
                weights[client_id] = weights.get(client_id, 0.0) + weight
        best = heapq.nlargest(MAX_CANDIDATE_CLIENTS, weights.items(), key=lambda kv: (kv[1], -kv[0]))
        scored = []
        for client_id, _weight in best:
            similarity = _similarity(self._clients[client_id].words, entry.words, entry.initials)
            if similarity >= NAME_SIMILAR:
                scored.append((similarity, client_id))
        scored.sort(key=lambda sc: (-sc[0], sc[1]))
        return scored

    def _in_window(self, invoice: int, day: date) -> bool:
        item = self.items[invoice]
        return item.issue_date - timedelta(days=EARLY_DAYS) <= day <= item.due_date + timedelta(days=LATE_DAYS)

    def _open(self, client_id: int) -> list[int]:
        return [i for i in self._clients[client_id].invoices if self.remaining[i] > 0]

    # ---------------------------------------------------------------------------- steps

    def _exact(self, entry: _Line) -> Match | None:
        found, how = self._referenced(entry)
        if not found:
            return None
        amount = entry.line.amount_cents
        left = amount
        allocations = []
        owed = 0
        for invoice in sorted(found, key=lambda i: (self.items[i].due_date, self.items[i].number)):
            owed += self.remaining[invoice]
            take = min(left, self.remaining[invoice])
            if take > 0:
                allocations.append((invoice, take))
                self.remaining[invoice] -= take
                left -= take
        score = 100 if how.startswith("référence") else 98
        reason = how
        if not allocations:
            reason += " ; cette facture est déjà réglée par une autre ligne de ce relevé : à vérifier"
        elif left > 0:
            reason += f" ; {_euros(left)} de plus que le reste dû : à vérifier"
        partial = amount < owed
        if partial:
            reason += f" ; paiement partiel, il restera {_euros(owed - amount)} à payer"
        return Match(EXACT, tuple(allocations), score, reason, over_balance_cents=left, partial=partial)

    def _amount_and_name(self, entry: _Line, clients: list[tuple[float, int]]) -> Match | None:
        amount = entry.line.amount_cents
        for similarity, client_id in clients:
            same = [
                i
                for i in self._by_client_amount.get((client_id, amount), ())
                if self.remaining[i] == amount and self._in_window(i, entry.line.booking_date)
            ]
            if not same:
                continue
            invoice = same[0]  # oldest due first
            self.remaining[invoice] = 0
            score = 80 + round(15 * similarity)
            reason = f"montant identique, nom proche : {self._clients[client_id].name}"
            if len(same) > 1:
                score -= 5
                reason += f" ; {len(same)} factures de ce montant, la plus ancienne est proposée"
            return Match(SUGGESTION, ((invoice, amount),), score, reason)
        return None

    def _sum_of(self, invoices: list[int], amount: int) -> tuple[int, ...] | None:
        """The first 2 to MAX_SPLIT_PARTS of a client's oldest invoices that add up to the amount."""
        oldest = invoices[:MAX_SPLIT_ITEMS]
        for size in range(2, MAX_SPLIT_PARTS + 1):
            for combo in combinations(oldest, size):
                if sum(self.remaining[i] for i in combo) == amount:
                    return combo
        return None

    def _by_name(self, entry: _Line, clients: list[tuple[float, int]]) -> Match | None:
        if not clients:
            return None
        amount = entry.line.amount_cents
        similarity, client_id = clients[0]
        name = self._clients[client_id].name
        invoices = self._open(client_id)
        if not invoices:
            return None
        bonus = round(10 * similarity)
        same = [i for i in invoices if self.remaining[i] == amount]
        if same:
            return Match(
                SUGGESTION,
                ((same[0], amount),),
                65 + bonus,
                f"montant identique, nom proche : {name} ; date inhabituelle pour cette facture",
            )
        combo = self._sum_of(invoices, amount)
        if combo is not None:
            items = [self.items[i] for i in combo]
            return Match(
                SUGGESTION,
                tuple((i, self.remaining[i]) for i in combo),
                75 + bonus,
                f"nom proche : {name} ; le montant est la somme de {len(combo)} factures ({_numbers(items)})",
            )
        total = sum(self.remaining[i] for i in invoices)
        if amount > total:
            return Match(
                SUGGESTION,
                tuple((i, self.remaining[i]) for i in invoices),
                45 + bonus,
                f"nom proche : {name} ; le virement dépasse de {_euros(amount - total)} tout ce que ce client "
                f"doit ({_euros(total)}) : à vérifier",
                over_balance_cents=amount - total,
            )
        larger = [i for i in invoices if self.remaining[i] > amount]
        if larger:
            invoice = larger[0]
            item = self.items[invoice]
            return Match(
                SUGGESTION,
                ((invoice, amount),),
                50 + bonus,
                f"paiement partiel probable de {item.number} (nom proche : {name}) ; il restera "
                f"{_euros(self.remaining[invoice] - amount)} à payer",
                partial=True,
            )
        allocations = []
        left = amount
        for invoice in invoices:
            take = min(left, self.remaining[invoice])
            allocations.append((invoice, take))
            left -= take
            if left == 0:
                break
        return Match(
            SUGGESTION,
            tuple(allocations),
            40 + bonus,
            f"nom proche : {name} ; réparti sur ses factures les plus anciennes, la dernière en partie",
            partial=True,
        )

    def _amount_only(self, entry: _Line) -> Match | None:
        amount = entry.line.amount_cents
        same = [i for i in self._by_amount.get(amount, ()) if self.remaining[i] == amount]
        if not same or len(same) > MAX_AMOUNT_ONLY:
            return None
        day = entry.line.booking_date
        same.sort(key=lambda i: (not self._in_window(i, day), abs((self.items[i].due_date - day).days)))
        item = self.items[same[0]]
        if len(same) == 1:
            score = 55 if self._in_window(item.invoice_id, day) else 40
            reason = f"montant identique à {item.number} ({item.client_name}) ; nom du payeur non reconnu"
        else:
            score = 35
            reason = (
                f"montant identique à {len(same)} factures ouvertes ; {item.number} ({item.client_name}) "
                "est proposée, la plus proche de son échéance"
            )
        return Match(SUGGESTION, ((item.invoice_id, amount),), score, reason)

    def _none(self, entry: _Line) -> Match:
        amount = entry.line.amount_cents
        count = sum(1 for i in self._by_amount.get(amount, ()) if self.remaining[i] == amount)
        if count > MAX_AMOUNT_ONLY:
            return Match(NONE, (), 0, f"{count} factures ouvertes ont ce montant : choisissez la facture")
        unknown = find_references(entry.text)
        if unknown:
            reason = f"la référence {unknown[0]} ne correspond à aucune facture ouverte (déjà payée ?)"
            return Match(NONE, (), 0, reason)
        return Match(NONE, (), 0, "aucune facture ouverte ne correspond")

    # ---------------------------------------------------------------------------- all lines

    def match(self, lines: Iterable[CreditLine]) -> dict[str, Match]:
        """A Match for each credit line, keyed by fingerprint, in the lines' order."""
        entries = [_Line(line, order) for order, line in enumerate(lines) if line.amount_cents > 0]
        by_date = sorted(entries, key=lambda e: (e.line.booking_date, e.order))
        results: dict[int, Match] = {}
        for entry in by_date:
            exact = self._exact(entry)
            if exact is not None:
                results[entry.order] = exact
        clients: dict[int, list[tuple[float, int]]] = {}
        for entry in by_date:
            if entry.order in results:
                continue
            clients[entry.order] = self._candidate_clients(entry)
            strong = self._amount_and_name(entry, clients[entry.order])
            if strong is not None:
                results[entry.order] = strong
        for entry in by_date:
            if entry.order in results:
                continue
            results[entry.order] = (
                self._by_name(entry, clients[entry.order]) or self._amount_only(entry) or self._none(entry)
            )
        return {entry.line.fingerprint: results[entry.order] for entry in entries}


def _compact(number: str) -> str:
    return "".join(_WORD_RE.findall(bank_upper(number)))


def match_lines(lines: Iterable[CreditLine], open_items: Iterable[OpenItem]) -> dict[str, Match]:
    """Match a statement's credit lines against a company's open invoices (see module doc)."""
    return Matcher(open_items).match(lines)
