"""Getting paid: reminders and plans, penalties, sending (each e-mail once), message templates,
the daily run and the dashboard."""
