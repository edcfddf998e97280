"""E-mail templates an artisan can edit: French defaults, a fixed set of variables, and a
safe renderer.

User-edited text is rendered by Jinja's SandboxedEnvironment, and before that its syntax
tree is checked against a small whitelist (text, variables, if/else, not/and/or): no
attribute access, no calls, no arithmetic, no loops. `{{ ''.__class__ }}`, `{{ 7*7 }}` or
`{% for %}` are refused at save time with a French message, and could not run anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from domain.collections.models import MessageTemplate
from domain.core.errors import UserError
from extensions import db

# key → (label, level it brings the invoice to, or None for document sends / pre-due)
TEMPLATE_KEYS = {
    "invoice_send": "Envoi de facture",
    "quote_send": "Envoi de devis",
    "pre_due": "Rappel avant échéance",
    "soft": "Relance douce (R1)",
    "firm": "Relance ferme (R2)",
    "formal_notice": "Mise en demeure (R3)",
}

VARIABLES = {
    "client": "Nom du client",
    "numero": "Numéro de la facture ou du devis",
    "date_emission": "Date d'émission",
    "date_echeance": "Date d'échéance",
    "date_validite": "Date de validité du devis",
    "montant_total": "Montant TTC du document",
    "montant_du": "Reste à payer",
    "jours_retard": "Nombre de jours de retard",
    "penalites": "Pénalités de retard à ce jour",
    "indemnite": "Indemnité forfaitaire de recouvrement (professionnels)",
    "professionnel": "Vrai si le client est un professionnel (pour les conditions)",
    "delai_jours": "Délai laissé par la mise en demeure (jours)",
    "date_limite": "Date limite de paiement de la mise en demeure",
    "entreprise": "Nom de votre entreprise",
    "telephone": "Téléphone de l'entreprise",
    "email_entreprise": "E-mail de l'entreprise",
    "iban": "IBAN",
    "bic": "BIC",
    "lien_client": "Lien vers la page du document pour le client",
    "signature": "Signature (nom de l'utilisateur et entreprise)",
}

_SIGNATURE = "{{ signature }}"

DEFAULTS: dict[str, tuple[str, str]] = {
    "invoice_send": (
        "Facture {{ numero }} – {{ entreprise }}",
        "Bonjour {{ client }},\n\n"
        "Veuillez trouver ci-joint la facture {{ numero }} du {{ date_emission }}, d'un montant de "
        "{{ montant_total }}, à régler au plus tard le {{ date_echeance }}.\n\n"
        "Vous pouvez la consulter et la télécharger ici : {{ lien_client }}\n\n"
        "Règlement par virement : IBAN {{ iban }}{% if bic %} (BIC {{ bic }}){% endif %}, "
        "en indiquant la référence {{ numero }}.\n\n"
        "Merci de votre confiance.\n\n" + _SIGNATURE,
    ),
    "quote_send": (
        "Devis {{ numero }} – {{ entreprise }}",
        "Bonjour {{ client }},\n\n"
        "Veuillez trouver ci-joint notre devis {{ numero }} d'un montant de {{ montant_total }}, "
        "valable jusqu'au {{ date_validite }}.\n\n"
        "Vous pouvez le consulter et nous donner votre accord en ligne : {{ lien_client }}\n\n"
        "Nous restons à votre disposition pour toute question.\n\n" + _SIGNATURE,
    ),
    "pre_due": (
        "Rappel : facture {{ numero }} à régler avant le {{ date_echeance }}",
        "Bonjour {{ client }},\n\n"
        "Petit rappel : la facture {{ numero }} du {{ date_emission }} arrive à échéance le "
        "{{ date_echeance }}. Reste à régler : {{ montant_du }}.\n\n"
        "Si le règlement est déjà parti, merci de ne pas tenir compte de ce message.\n\n"
        "Détails et paiement : {{ lien_client }}\n\n" + _SIGNATURE,
    ),
    "soft": (
        "Relance : facture {{ numero }} arrivée à échéance",
        "Bonjour {{ client }},\n\n"
        "Sauf erreur de notre part, la facture {{ numero }} du {{ date_emission }}, arrivée à échéance le "
        "{{ date_echeance }}, n'est pas encore réglée. Reste dû : {{ montant_du }}.\n\n"
        "Il s'agit sans doute d'un oubli : vous trouverez la facture et le relevé de ce qui reste dû en pièces "
        "jointes, et pouvez régler par virement (IBAN {{ iban }}, référence {{ numero }}).\n\n"
        "Détails et paiement : {{ lien_client }}\n\n"
        "Si vous avez réglé entre-temps, merci de ne pas tenir compte de ce message.\n\n" + _SIGNATURE,
    ),
    "firm": (
        "Deuxième relance : facture {{ numero }} impayée depuis {{ jours_retard }} jours",
        "Bonjour {{ client }},\n\n"
        "Malgré notre précédente relance, la facture {{ numero }} du {{ date_emission }}, échue le "
        "{{ date_echeance }}, reste impayée depuis {{ jours_retard }} jours. Reste dû : {{ montant_du }}.\n\n"
        "{% if professionnel %}Conformément à l'article L441-10 du Code de commerce, des pénalités de retard "
        "sont dues ({{ penalites }} à ce jour), ainsi qu'une indemnité forfaitaire pour frais de recouvrement "
        "de {{ indemnite }}.\n\n{% endif %}"
        "Merci de procéder au règlement dans les plus brefs délais (IBAN {{ iban }}, référence {{ numero }}), "
        "ou de nous contacter au {{ telephone }} en cas de difficulté.\n\n"
        "Détails et paiement : {{ lien_client }}\n\n" + _SIGNATURE,
    ),
    "formal_notice": (
        "Mise en demeure de payer – facture {{ numero }}",
        "MISE EN DEMEURE\n\n"
        "{{ client }},\n\n"
        "Malgré nos relances, la facture {{ numero }} du {{ date_emission }}, échue le {{ date_echeance }}, "
        "reste impayée. Nous vous mettons en demeure de nous régler la somme de {{ montant_du }} dans un délai "
        "de {{ delai_jours }} jours, soit au plus tard le {{ date_limite }}.\n\n"
        "{% if professionnel %}Cette somme est majorée des pénalités de retard prévues à l'article L441-10 du "
        "Code de commerce ({{ penalites }} à ce jour) et de l'indemnité forfaitaire pour frais de recouvrement "
        "de {{ indemnite }} (article D441-5).{% else %}Conformément à l'article 1344-1 du Code civil, la présente "
        "mise en demeure fait courir les intérêts au taux légal sur la somme due.{% endif %}\n\n"
        "À défaut de paiement dans ce délai, nous engagerons sans autre avis une procédure de recouvrement "
        "judiciaire (injonction de payer), dont les frais resteront à votre charge.\n\n"
        "Règlement par virement : IBAN {{ iban }}, référence {{ numero }}. Lettre de mise en demeure jointe.\n\n"
        + _SIGNATURE,
    ),
}


class TemplateError(UserError):
    """A template cannot be saved; str(e) is a French sentence."""


_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.If, nodes.Not, nodes.And, nodes.Or,
)


# Bounds on what a company may save, so that every saved template compiles and renders fast
# for the daily run (a template with ~120 nested {% if %} or one `if` with ~300 `or` passed the
# syntax check, then failed to compile, and stopped the run for every company after it).
MAX_TEMPLATE_CHARS = 20_000
MAX_NESTING = 8  # {% if %} inside {% if %}, and `and`/`or`/`not` inside a condition
MAX_NODES = 600  # names, conditions and text pieces of one template


def check(text: str, *, what: str = "Le modèle") -> None:
    """Refuse syntax errors, unknown variables, anything beyond {{ var }} and {% if %}, and
    templates too big or too deeply nested to compile and render safely; then compile it."""
    tree = _parse(text, what)
    _check_nodes(tree, what)
    if _depth(tree) > MAX_NESTING:
        raise TemplateError(f"{what} est trop complexe : au plus {MAX_NESTING} conditions imbriquées "
                            "(et, ou, non compris).")
    try:
        _env.from_string(text)  # what render will do: it must work now, not in tomorrow's run
    except (RecursionError, SyntaxError, MemoryError, TemplateSyntaxError):
        raise TemplateError(f"{what} est trop complexe pour être utilisé : simplifiez-le.") from None


def _parse(text: str, what: str) -> nodes.Template:
    """The template's syntax tree, once its length is within bounds and its syntax is right."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"{what} est trop long (20 000 caractères au plus).")
    try:
        return _env.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{what} contient une erreur de syntaxe ligne {exc.lineno} : "
                            f"vérifiez les {{{{ }}}} et {{% %}}.") from None
    except RecursionError:
        raise TemplateError(f"{what} est trop complexe : au plus {MAX_NESTING} conditions imbriquées.") from None


def _check_nodes(tree: nodes.Template, what: str) -> None:
    """Only known variables, text and {% if %} conditions, and no more than MAX_NODES of them."""
    count = 0
    for node in tree.find_all(nodes.Node):
        count += 1
        if isinstance(node, nodes.Name):
            if node.name not in VARIABLES:
                raise TemplateError(f"{what} utilise une variable inconnue : {{{{ {node.name} }}}}. "
                                    "Variables possibles : " + ", ".join(VARIABLES) + ".")
        elif not isinstance(node, _ALLOWED_NODES):
            raise TemplateError(f"{what} contient une expression non autorisée : seules les variables "
                                "{{ nom }} et les conditions {% if nom %}…{% endif %} sont permises.")
    if count > MAX_NODES:
        raise TemplateError(f"{what} est trop complexe ({count} éléments, {MAX_NODES} au plus) : simplifiez les "
                            "conditions.")


_NESTING_NODES = (nodes.If, nodes.And, nodes.Or, nodes.Not)


def _depth(node: nodes.Node) -> int:
    """How deeply conditions nest (iterative: a hostile template must not exhaust the stack)."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        current, depth = stack.pop()
        depth += isinstance(current, _NESTING_NODES)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in current.iter_child_nodes())
    return deepest


@lru_cache(maxsize=256)
def _compiled(text: str):
    """check() then compile, once per template text (a plan run renders the same few texts
    thousands of times; compiling took 2.4 ms of the 3.6 ms a message costs)."""
    check(text)
    return _env.from_string(text)


def render(text: str, context: dict) -> str:
    """Render a checked template in the sandbox with the fixed variable set."""
    template = _compiled(text)
    try:
        return template.render({k: context.get(k, "") for k in VARIABLES})
    except (SecurityError, UndefinedError) as exc:  # unreachable after check(), kept as a guard
        raise TemplateError("Ce modèle ne peut pas être affiché.") from exc


@dataclass(frozen=True)
class Template:
    key: str
    subject: str
    body: str
    customized: bool


def get(company_id: int, key: str) -> Template:
    """The company's version of a template, or the French default."""
    if key not in TEMPLATE_KEYS:
        raise KeyError(key)
    row = db.session.scalar(select(MessageTemplate).where(MessageTemplate.company_id == company_id,
                                                          MessageTemplate.key == key))
    if row is None:
        subject, body = DEFAULTS[key]
        return Template(key, subject, body, False)
    return Template(key, row.subject, row.body, True)


def save(company_id: int, key: str, subject: str, body: str) -> None:
    """Check and store a company's template."""
    if key not in TEMPLATE_KEYS:
        raise TemplateError("Modèle inconnu.")
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise TemplateError("L'objet ne peut pas être vide.")
    if not body:
        raise TemplateError("Le message ne peut pas être vide.")
    check(subject, what="L'objet")
    check(body, what="Le message")
    row = db.session.scalar(select(MessageTemplate).where(MessageTemplate.company_id == company_id,
                                                          MessageTemplate.key == key))
    if row is None:
        db.session.add(MessageTemplate(company_id=company_id, key=key, subject=subject, body=body))
    else:
        row.subject, row.body = subject, body
    db.session.flush()


def reset(company_id: int, key: str) -> None:
    """Go back to the French default."""
    row = db.session.scalar(select(MessageTemplate).where(MessageTemplate.company_id == company_id,
                                                          MessageTemplate.key == key))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
