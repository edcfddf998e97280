"""The demo company shows collections in every state (so a new user sees a living app)."""

from sqlalchemy import func, select

from domain import demo
from domain.billing.models import Document
from domain.collections import reminders
from domain.collections.models import Send, Task
from domain.core import clock
from extensions import db


def test_demo_has_reminders_tasks_and_a_promise(app):
    with app.app_context():
        company = demo.load_demo()
        db.session.commit()
        today = clock.today_in(company.timezone)
        levels = dict(db.session.execute(select(Document.reminder_level, func.count()).where(
            Document.company_id == company.id).group_by(Document.reminder_level)).all())
        assert levels.get(1) and levels.get(2)
        assert db.session.scalar(select(func.count(Send.id)).where(Send.status == "sent")) == 5
        assert db.session.scalar(select(Task.id).where(Task.kind == "confirm_formal_notice")) is not None
        assert db.session.scalar(select(func.count(Document.id)).where(Document.reminders_paused_until > today)) == 1
        planned = reminders.planned_today(company, today)
        assert [step.template for _, step in planned] == ["soft"]  # only what is really due, nothing re-sent
