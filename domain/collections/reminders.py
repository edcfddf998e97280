"""Reminder levels, message composition, automatic plans, follow-up tasks.

Levels: R0 (none) → R1 soft → R2 firm → R3 formal notice (mise en demeure). A pre-due
reminder is a courtesy and does not change the level. Sending itself (with its two
transactions around the SMTP conversation) lives in domain/sending.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, null, or_, select, update

from domain.billing import status
from domain.billing.models import INVOICE_KINDS, Document
from domain.collections import messages
from domain.collections.models import ReminderPlan, Send, Task
from domain.collections.penalties import invoice_penalties
from domain.core import events
from domain.core.clock import today_in
from domain.core.conditional import rows_changed
from domain.core.errors import UserError
from domain.core.models import Client, Company
from domain.core.orm import utcnow
from extensions import db

LEVEL_TEMPLATES = {1: "soft", 2: "firm", 3: "formal_notice"}
TEMPLATE_LEVELS = {"pre_due": 0, "soft": 1, "firm": 2, "formal_notice": 3}
LEVEL_LABELS = {0: "R0 · aucune relance", 1: "R1 · relance douce", 2: "R2 · relance ferme", 3: "R3 · mise en demeure"}
LEVEL_SHORT = {0: "R0", 1: "R1", 2: "R2", 3: "R3"}

DEFAULT_STEPS = [
    {"offset_days": -3, "template": "pre_due"},
    {"offset_days": 7, "template": "soft"},
    {"offset_days": 15, "template": "firm"},
    {"offset_days": 30, "template": "formal_notice"},
]


class ReminderError(UserError):
    """A reminder cannot be sent or a plan saved; str(e) is French."""


# --- levels ------------------------------------------------------------------------


def next_level(invoice: Document) -> int | None:
    """The level "Relancer" sends next (None once the formal notice went)."""
    return invoice.reminder_level + 1 if invoice.reminder_level < 3 else None


def can_remind(invoice: Document) -> str | None:
    """None if the invoice can be reminded now, else why not (French)."""
    if not invoice.is_invoice or not invoice.is_issued:
        return "Seule une facture émise peut être relancée."
    if invoice.remaining_cents <= 0:
        return "Cette facture est réglée : plus de relance."
    if invoice.reminder_level >= 3:
        return "La mise en demeure est déjà partie : l'étape suivante est le recouvrement judiciaire."
    return None


# --- pace of manual reminders ---------------------------------------------------------
#
# "Relancer" sends the next level in one tap. Without a pace, a second tap a moment later sent
# the firm reminder (R2) on the heels of the soft one: a client reminded twice in a minute
# reads it as a machine gone wrong. A manual reminder therefore waits, after the previous one,
# as long as the invoice's plan waits between the same two steps (J+7 soft → J+15 firm: 8
# days), DEFAULT_MIN_GAP_DAYS when the plan has no such pair, and never skips a level; the
# artisan may still send it, after an explicit "envoyer quand même". The formal notice (R3)
# always goes through a confirmation that shows the letter, as the automatic plan does.

DEFAULT_MIN_GAP_DAYS = 7

HOLD_TOO_SOON = "too_soon"
HOLD_SKIP = "skip"


@dataclass(frozen=True)
class Hold:
    """Why a manual reminder needs an explicit "envoyer quand même" (message in French)."""

    kind: str  # HOLD_TOO_SOON | HOLD_SKIP
    level: int  # the level the reminder would send
    message: str
    earliest: date | None = None  # when it may go without confirmation (too soon)


def _offsets_by_level(plan: ReminderPlan | None) -> dict[int, int]:
    """The plan's offset (days from the due date) for each level it sends (0: pre-due)."""
    steps: list[dict[str, Any]] = plan.steps if plan is not None else DEFAULT_STEPS
    return {TEMPLATE_LEVELS[s["template"]]: int(s["offset_days"]) for s in steps if s["template"] in TEMPLATE_LEVELS}


def gap_after(level: int, plan: ReminderPlan | None) -> int:
    """Days to wait after a reminder of `level` before the next one: the plan's own gap between
    that step and the next level's, else DEFAULT_MIN_GAP_DAYS."""
    offsets = _offsets_by_level(plan)
    later = [lvl for lvl in offsets if lvl > level]
    if level in offsets and later:
        return max(1, offsets[min(later)] - offsets[level])
    return DEFAULT_MIN_GAP_DAYS


def manual_hold(invoice: Document, template_key: str, plan: ReminderPlan | None, today: date) -> Hold | None:
    """None if a reminder with this template may go now in one tap; else why it waits.

    `plan`: the invoice's plan (plan_for), or the company's default when automatic reminders
    are off for it (the pace still applies). `today` is the company's date."""
    level = TEMPLATE_LEVELS.get(template_key)
    if not level:  # a document send or the pre-due courtesy: no pace
        return None
    current = invoice.reminder_level
    short = LEVEL_SHORT[level]
    if level > current + 1:
        missing = LEVEL_LABELS[current + 1]
        return Hold(HOLD_SKIP, level, f"{missing} n'est pas encore partie : envoyer {short} maintenant saute une "
                                      "étape de la relance.")
    if invoice.last_reminder_at is None:
        return None
    tz = invoice.company.timezone if invoice.company is not None else "Europe/Paris"
    last = today_in(tz, invoice.last_reminder_at)
    gap = gap_after(current, plan)
    earliest = last + timedelta(days=gap)
    if today >= earliest:
        return None
    from output.formatting import format_date  # presentation only

    previous = LEVEL_LABELS[current] if current else "Une relance"
    again = "la même relance" if level <= current else f"{short}"
    return Hold(HOLD_TOO_SOON, level, f"{previous} est partie le {format_date(last)} : le plan laisse {gap} jours au "
                                      f"client avant {again}, soit à partir du {format_date(earliest)}.", earliest)


def upcoming_step(invoice: Document, plan: ReminderPlan | None, today: date) -> tuple[date, str] | None:
    """(day, template) of the plan's next step still to come for this invoice, if any.

    A step at or below the level already reached (a manual R3 after R1) is not announced:
    the plan skips it when its day comes."""
    if plan is None or invoice.due_date is None or invoice.remaining_cents <= 0:
        return None
    for index, step in enumerate(plan.steps):
        day = invoice.due_date + timedelta(days=int(step["offset_days"]))
        level = TEMPLATE_LEVELS[step["template"]]
        if index <= invoice.reminder_step_reached or day < today:
            continue
        if (level == 0 and invoice.reminder_level > 0) or (level and level <= invoice.reminder_level):
            continue
        return day, step["template"]
    return None


# --- message composition ------------------------------------------------------------


def default_recipients(client: Client) -> list[str]:
    """Every contact e-mail of the client, primary first."""
    return client.emails


@dataclass(frozen=True)
class Draft:
    template_key: str
    subject: str
    body: str
    recipients: list[str]
    level: int | None  # level after sending (reminders only)
    context: dict


def message_context(doc: Document, today: date, *, link: str, sender_name: str = "", tables=None) -> dict:
    """Values of the template variables for one document, formatted in French."""
    from output.formatting import format_date, format_money  # presentation only

    company, client = doc.company, doc.client
    penalties = invoice_penalties(doc, today, tables=tables) if doc.is_invoice else None
    deadline_days = company.formal_notice_deadline_days
    return {
        "client": client.name,
        "numero": doc.number or "",
        "date_emission": format_date(doc.issue_date) if doc.issue_date else "",
        "date_echeance": format_date(doc.due_date) if doc.due_date else "",
        "date_validite": format_date(doc.validity_date) if doc.validity_date else "",
        "montant_total": format_money(doc.net_cents if doc.is_invoice else doc.total_ttc_cents),
        "montant_du": format_money(doc.remaining_cents),
        "jours_retard": str(penalties.days_late) if penalties else "0",
        "penalites": format_money(penalties.interest_cents) if penalties else format_money(0),
        "indemnite": format_money(penalties.indemnity_cents) if penalties else format_money(0),
        "professionnel": client.is_business,
        "delai_jours": str(deadline_days),
        "date_limite": format_date(today + timedelta(days=deadline_days)),
        "entreprise": company.trade_name or company.name,
        "telephone": company.phone,
        "email_entreprise": company.email,
        "iban": _spaced_iban(company.iban),
        "bic": company.bic,
        "lien_client": link,
        "signature": "\n".join(p for p in (sender_name, company.trade_name or company.name, company.phone) if p),
    }


def _spaced_iban(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def compose(doc: Document, template_key: str, today: date, *, link: str, sender_name: str = "",
            template: messages.Template | None = None, tables=None) -> Draft:
    """Subject and body of a message from the company's template (to preview or edit before sending)."""
    template = template or messages.get(doc.company_id, template_key)
    context = message_context(doc, today, link=link, sender_name=sender_name, tables=tables)
    level = TEMPLATE_LEVELS.get(template_key) or None
    return Draft(template_key, messages.render(template.subject, context).strip(),
                 messages.render(template.body, context).strip(), default_recipients(doc.client), level, context)


def compose_reminder(invoice: Document, today: date, *, link: str, sender_name: str = "") -> Draft:
    """The next level's message for "Relancer"."""
    reason = can_remind(invoice)
    if reason:
        raise ReminderError(reason)
    level = next_level(invoice)
    if level is None:  # can_remind said why already; kept for the type
        raise ReminderError("La mise en demeure est déjà partie : l'étape suivante est le recouvrement judiciaire.")
    return compose(invoice, LEVEL_TEMPLATES[level], today, link=link, sender_name=sender_name)


# --- plans --------------------------------------------------------------------------


def default_plan(company: Company) -> ReminderPlan:
    """The company's default plan, created with J-3 / J+7 / J+15 / J+30 on first use."""
    plan = db.session.scalar(select(ReminderPlan).where(ReminderPlan.company_id == company.id,
                                                        ReminderPlan.is_default.is_(True)))
    if plan is None:
        plan = standard_plan(company.id)
        db.session.add(plan)
        db.session.flush()
    return plan


def standard_plan(company_id: int) -> ReminderPlan:
    """The standard plan (J-3 / J+7 / J+15 / J+30), not saved: what a company without a plan
    row yet follows (a page that only reads uses it as is)."""
    return ReminderPlan(company_id=company_id, name="Plan standard", steps=[dict(s) for s in DEFAULT_STEPS],
                        confirm_formal_notice=True, is_default=True)


def clean_steps(raw_steps: list[tuple[int, str]]) -> list[dict]:
    """Validate plan steps: known templates, offsets in range, increasing, levels never going down."""
    steps: list[dict[str, Any]] = []
    for offset, template in raw_steps:
        if template not in TEMPLATE_LEVELS:
            raise ReminderError("Modèle de relance inconnu.", field="steps")
        if not -60 <= offset <= 365:
            raise ReminderError("Chaque étape se place entre J-60 et J+365.", field="steps")
        if template == "pre_due" and offset >= 0:
            raise ReminderError("Le rappel avant échéance se place avant l'échéance (J-1 ou avant).", field="steps")
        if template != "pre_due" and offset <= 0:
            raise ReminderError("Une relance se place après l'échéance (J+1 ou après).", field="steps")
        steps.append({"offset_days": offset, "template": template})
    offsets = [s["offset_days"] for s in steps]
    if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
        raise ReminderError("Les étapes doivent être dans l'ordre, à des jours différents.", field="steps")
    levels = [TEMPLATE_LEVELS[s["template"]] for s in steps]
    if levels != sorted(levels):
        raise ReminderError("Le ton ne redescend pas : douce, puis ferme, puis mise en demeure.", field="steps")
    return steps


def plan_for(invoice: Document) -> ReminderPlan | None:
    """Invoice override, else client override, else the company default; None when switched off."""
    if invoice.reminders_disabled or invoice.client.reminders_disabled or not invoice.company.reminders_enabled:
        return None
    plan_id = invoice.reminder_plan_id or invoice.client.reminder_plan_id
    if plan_id:
        plan = db.session.get(ReminderPlan, plan_id)
        if plan is not None and plan.company_id == invoice.company_id:
            return plan
    return default_plan(invoice.company)


def plan_among(invoice: Document, plans: dict[int, ReminderPlan], default: ReminderPlan) -> ReminderPlan | None:
    """plan_for with the company's plans loaded once (`plans`: id -> plan of the invoice's
    company, `default`: its default plan): a batch of invoices costs no query each."""
    if invoice.reminders_disabled or invoice.client.reminders_disabled or not invoice.company.reminders_enabled:
        return None
    plan_id = invoice.reminder_plan_id or invoice.client.reminder_plan_id
    if plan_id and plan_id in plans:
        return plans[plan_id]
    return default


@dataclass(frozen=True)
class DueStep:
    index: int
    template: str
    day: date  # due date + offset
    action: str  # send | skip | confirm
    why: str = ""


def due_step(invoice: Document, plan: ReminderPlan, today: date) -> DueStep | None:
    """The step to handle today: only the latest due one (a missed week sends one message,
    not a burst), never one already handled, never on a paid or paused invoice."""
    if invoice.remaining_cents <= 0 or invoice.due_date is None:
        return None
    if invoice.reminders_paused_until and invoice.reminders_paused_until >= today:
        return None
    latest = None
    for index, step in enumerate(plan.steps):
        day = invoice.due_date + timedelta(days=int(step["offset_days"]))
        if day <= today and index > invoice.reminder_step_reached:
            latest = (index, step, day)
    if latest is None:
        return None
    index, step, day = latest
    template = step["template"]
    if template == "pre_due" and today >= invoice.due_date:
        return DueStep(index, template, day, "skip", "échéance déjà passée")
    level = TEMPLATE_LEVELS[template]
    if level and invoice.reminder_level >= level:
        return DueStep(index, template, day, "skip", f"déjà au niveau {LEVEL_SHORT[invoice.reminder_level]}")
    if template == "formal_notice" and plan.confirm_formal_notice:
        return DueStep(index, template, day, "confirm", "mise en demeure à confirmer")
    return DueStep(index, template, day, "send")


def candidates(company_id: int, today: date):
    """Select of open, issued invoices whose plan may have a step due (without loading plans)."""
    return (
        select(Document)
        .where(
            Document.company_id == company_id, Document.kind.in_(INVOICE_KINDS), *status.open_terms(),
            Document.reminders_disabled.is_(False), Document.due_date.is_not(None),
            Document.due_date <= today + timedelta(days=60),
            or_(Document.reminders_paused_until.is_(None), Document.reminders_paused_until < today),
            Document.reminder_level < 3,
        )
        .order_by(Document.due_date, Document.id)
    )


def step_action_expr(plans: dict[int, ReminderPlan], default: ReminderPlan, today: date):
    """SQL twin of `due_step(invoice, plan_for(invoice), today).action` over `candidates()`:
    'send', 'skip', 'confirm', or NULL when no step is due.

    Lets a page count and page through the plan of the day in the database instead of loading
    every candidate invoice (tested against due_step). The caller excludes clients whose
    reminders are off, as plan_for does, and joins Client when `plans` has other plans than
    `default` (the client's own plan is then read).
    """
    def for_plan(plan: ReminderPlan):
        whens = []
        for index in reversed(range(len(plan.steps))):  # the latest due step wins, as in due_step
            template = plan.steps[index]["template"]
            due_now = and_(Document.due_date <= today - timedelta(days=int(plan.steps[index]["offset_days"])),
                           Document.reminder_step_reached < index)
            level = TEMPLATE_LEVELS[template]
            action: Any
            if template == "pre_due":
                action = case((Document.due_date <= today, "skip"), else_="send")
            else:
                go = "confirm" if template == "formal_notice" and plan.confirm_formal_notice else "send"
                action = case((Document.reminder_level >= level, "skip"), else_=go) if level else go
            whens.append((due_now, action))
        return case(*whens, else_=null()) if whens else null()

    plan_ref = func.coalesce(Document.reminder_plan_id, Client.reminder_plan_id)
    others = [(plan_ref == plan_id, for_plan(plan)) for plan_id, plan in plans.items() if plan is not default]
    return case(*others, else_=for_plan(default)) if others else for_plan(default)


def claim_step(invoice: Document, step: DueStep) -> bool:
    """Move the invoice's plan position to this step, unless a concurrent run already did."""
    return rows_changed(
        update(Document)
        .where(Document.id == invoice.id, Document.reminder_step_reached < step.index)
        .values(reminder_step_reached=step.index)
    ) == 1


def planned_today(company: Company, today: date | None = None) -> list[tuple[Document, DueStep]]:
    """Dry run: what the plan would do today for this company (shown in the UI)."""
    today = today or today_in(company.timezone)
    out = []
    for invoice in db.session.scalars(candidates(company.id, today)):
        plan = plan_for(invoice)
        step = due_step(invoice, plan, today) if plan else None
        if step:
            out.append((invoice, step))
    return out


def pause(invoice: Document, actor, until: date | None, *, reason: str = "") -> None:
    """Pause automatic reminders until a date (a promise to pay), or resume with None."""
    invoice.reminders_paused_until = until
    events.record(invoice.company_id, "reminders_paused" if until else "reminders_resumed", document=invoice,
                  actor=actor, until=until.isoformat() if until else None, reason=reason)


def set_enabled(invoice: Document, actor, enabled: bool) -> None:
    """Switch automatic reminders on or off for one invoice."""
    invoice.reminders_disabled = not enabled
    events.record(invoice.company_id, "reminders_enabled" if enabled else "reminders_disabled", document=invoice,
                  actor=actor)


# --- tasks --------------------------------------------------------------------------


def add_task(company_id: int, actor, *, client_id: int, due_on: date, note: str, document: Document | None = None,
             kind: str = "manual") -> Task:
    """A follow-up to do on a date (call the client, pass by the site…)."""
    note = (note or "").strip()
    if not note:
        raise ReminderError("Décrivez la tâche (par exemple « Appeler M. Dupont »).", field="note")
    task = Task(company_id=company_id, client_id=client_id, document_id=document.id if document else None,
                due_on=due_on, note=note[:2000], kind=kind, created_by_id=getattr(actor, "id", None))
    db.session.add(task)
    db.session.flush()
    if document is not None:
        events.record(company_id, "task_created", document=document, actor=actor, task_id=task.id, note=task.note,
                      due_on=due_on.isoformat())
    return task


def complete_task(task: Task, actor, *, now: datetime | None = None) -> None:
    """Mark a task done (twice is harmless)."""
    if task.done_at is None:
        task.done_at = now or utcnow()
        task.done_by_id = getattr(actor, "id", None)
        if task.document_id:
            events.record(task.company_id, "task_done", document=task.document, actor=actor, task_id=task.id,
                          note=task.note)


def open_tasks(company_id: int, *, due_by: date | None = None, client_id: int | None = None,
               document_id: int | None = None) -> list[Task]:
    """Tasks not done yet, soonest first."""
    stmt = select(Task).where(Task.company_id == company_id, Task.done_at.is_(None))
    if due_by is not None:
        stmt = stmt.where(Task.due_on <= due_by)
    if client_id is not None:
        stmt = stmt.where(Task.client_id == client_id)
    if document_id is not None:
        stmt = stmt.where(Task.document_id == document_id)
    return list(db.session.scalars(stmt.order_by(Task.due_on, Task.id)))


def last_sends(document_id: int, limit: int = 20) -> list[Send]:
    """Most recent sends of a document."""
    return list(db.session.scalars(select(Send).where(Send.document_id == document_id)
                                   .order_by(Send.created_at.desc(), Send.id.desc()).limit(limit)))


def summary_line(invoice: Document) -> str:
    """"R2 · relance ferme, le 12/11/2026" for lists."""
    from output.formatting import format_date

    if invoice.reminder_level == 0 or invoice.last_reminder_at is None:
        return LEVEL_LABELS[invoice.reminder_level]
    return f"{LEVEL_LABELS[invoice.reminder_level]}, le {format_date(invoice.last_reminder_at)}"


__all__ = [
    "LEVEL_LABELS", "LEVEL_TEMPLATES", "TEMPLATE_LEVELS", "DEFAULT_STEPS", "ReminderError", "Draft", "DueStep",
    "next_level", "can_remind", "compose", "compose_reminder", "default_plan", "standard_plan", "clean_steps",
    "plan_for", "plan_among",
    "due_step", "candidates", "step_action_expr", "claim_step", "planned_today", "pause", "set_enabled", "add_task",
    "complete_task",
    "open_tasks", "last_sends", "summary_line", "Hold", "manual_hold", "gap_after", "upcoming_step",
    "DEFAULT_MIN_GAP_DAYS", "HOLD_TOO_SOON", "HOLD_SKIP",
]


# --- other channels -----------------------------------------------------------------

SHARE_CHANNELS = {"whatsapp": "WhatsApp", "sms": "SMS", "telegram": "Telegram", "link": "Lien copié"}
# What the artisan reads for each channel (history, list of sends): never the internal tag.
CHANNEL_LABELS = {"email": "e-mail", **SHARE_CHANNELS}


def channel_label(channel: str) -> str:
    """"WhatsApp" for "whatsapp", "e-mail" for "email"; an unknown channel as "autre canal"."""
    return CHANNEL_LABELS.get(channel or "", "autre canal")


def _phone_digits(phone: str) -> str:
    """International digits for wa.me: French 06 12 34 56 78 → 33612345678."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    if (phone or "").strip().startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if len(digits) == 10 and digits.startswith("0"):
        return "33" + digits[1:]
    return digits


def share_url(channel: str, *, phone: str, text: str, link: str) -> str:
    """The URL that opens WhatsApp, the SMS app or Telegram with the message prefilled."""
    from urllib.parse import quote

    if channel == "whatsapp":
        number = _phone_digits(phone)
        return f"https://wa.me/{number}?text={quote(text)}" if number else f"https://wa.me/?text={quote(text)}"
    if channel == "sms":
        # "sms:+33…?&body=" is read by both iOS and Android.
        return f"sms:{phone.replace(' ', '')}?&body={quote(text)}"
    if channel == "telegram":
        return f"https://t.me/share/url?url={quote(link or '')}&text={quote(text)}"
    raise ReminderError("Canal inconnu.")


def short_message(doc: Document, today: date, *, link: str) -> str:
    """A few lines for WhatsApp/SMS: what is due, by when, and the link."""
    from output.formatting import format_date, format_money

    company = doc.company.trade_name or doc.company.name
    if doc.is_quote:
        text = f"Bonjour, voici le devis {doc.number} de {company} ({format_money(doc.total_ttc_cents)})."
    elif doc.due_date and doc.due_date < today:
        text = (f"Bonjour, sauf erreur la facture {doc.number} de {company} (échue le {format_date(doc.due_date)}) "
                f"reste à régler : {format_money(doc.remaining_cents)}.")
    else:
        amount = format_money(doc.remaining_cents or doc.net_cents)
        text = f"Bonjour, voici la facture {doc.number} de {company} : {amount}."
    return f"{text} {link}".strip() if link else text


# --- penalty invoice ----------------------------------------------------------------


def create_penalty_invoice(invoice: Document, actor, *, today: date) -> Document:
    """A separate invoice draft for the late-payment penalties (never added to the issued invoice).

    Late-payment interest and the 40 € indemnity are compensation, outside the scope of VAT
    (BOI-TVA-BASE-10-10-10 §§ 550-560 on indemnités), hence lines at 0 %.
    """
    from domain.billing import documents as docs
    from domain.billing.documents import DraftInput, LineInput
    from domain.billing.models import Kind, VatRegime
    from output.formatting import format_date

    pen = invoice_penalties(invoice, today)
    if pen.total_cents <= 0:
        raise ReminderError("Aucune pénalité n'est due sur cette facture à ce jour.")
    lines = []
    if pen.interest_cents:
        lines.append(LineInput(
            label=f"Pénalités de retard sur la facture {invoice.number}",
            description=f"{pen.days_late} jours de retard depuis l'échéance du {format_date(invoice.due_on)}, "
                        f"calculées au {format_date(today)}. Hors champ de la TVA.",
            unit_price_cents=pen.interest_cents, vat_rate_bp=0, unit="forfait"))
    if pen.indemnity_cents:
        lines.append(LineInput(
            label=f"Indemnité forfaitaire pour frais de recouvrement (facture {invoice.number})",
            description="Art. L441-10 et D441-5 du Code de commerce. Hors champ de la TVA.",
            unit_price_cents=pen.indemnity_cents, vat_rate_bp=0, unit="forfait"))
    regime = VatRegime.FRANCHISE if invoice.company.is_vat_franchise else VatRegime.NORMAL
    draft = docs.create_draft(invoice.company, actor, Kind.INVOICE,
                              DraftInput(client_id=invoice.client_id, lines=lines, vat_regime=regime,
                                         subject=f"Pénalités de retard – facture {invoice.number}"), today=today)
    events.record(invoice.company_id, "penalty_invoice_created", document=invoice, actor=actor,
                  amount_cents=pen.total_cents, invoice_id=draft.id)
    return draft


# --- plan overrides ---------------------------------------------------------------------


def company_plans(company_id: int) -> list[ReminderPlan]:
    """The company's plans, default first."""
    return list(db.session.scalars(select(ReminderPlan).where(ReminderPlan.company_id == company_id)
                                   .order_by(ReminderPlan.is_default.desc(), ReminderPlan.name, ReminderPlan.id)))


def save_plan(company: Company, plan: ReminderPlan | None, *, name: str, steps: list[dict],
              confirm_formal_notice: bool) -> ReminderPlan:
    """Create or update a plan (steps already checked by clean_steps)."""
    name = (name or "").strip()
    if not name:
        raise ReminderError("Donnez un nom au plan (par exemple « Clients réguliers »).", field="name")
    if plan is None:
        plan = ReminderPlan(company_id=company.id, is_default=False)
        db.session.add(plan)
    plan.name, plan.steps, plan.confirm_formal_notice = name[:120], steps, confirm_formal_notice
    db.session.flush()
    return plan


def _own_plan(company_id: int, plan_id: int | None) -> int | None:
    if plan_id is None:
        return None
    plan = db.session.get(ReminderPlan, plan_id)
    if plan is None or plan.company_id != company_id:
        raise ReminderError("Plan inconnu.", field="plan_id")
    return plan.id


def set_client_plan(client: Client, *, plan_id: int | None, enabled: bool) -> None:
    """A client's own plan (None: the company default) or no automatic reminder at all."""
    client.reminder_plan_id = _own_plan(client.company_id, plan_id)
    client.reminders_disabled = not enabled
    db.session.flush()


def set_invoice_plan(invoice: Document, actor, plan_id: int | None) -> None:
    """An invoice's own plan (None: the client's, else the company default)."""
    invoice.reminder_plan_id = _own_plan(invoice.company_id, plan_id)
    events.record(invoice.company_id, "reminder_plan_changed", document=invoice, actor=actor,
                  plan=_plan_name(plan_id))


def _plan_name(plan_id: int | None) -> str:
    plan = db.session.get(ReminderPlan, plan_id) if plan_id else None
    return plan.name if plan is not None else "plan du client"
