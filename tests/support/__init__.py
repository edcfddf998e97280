"""Everything the tests share that is not a fixture; conftest files hold only fixtures and hooks.

- `config`: the test database (SQLite or TEST_DATABASE_URL), the app's test settings, the test password;
- `builders`: companies, users, clients, quotes and invoices, built through the domain;
- `forms`: POST data as the pages send it (the lines editor);
- `pages`: driving and reading pages with Flask's test client (login, htmx header, amounts);
- `smtp`: a real SMTP server on loopback;
- `dashboard_dataset`: the fixed data set the dashboard figures are computed by hand on;
- `concurrency`: threads released together on one database;
- `world`, `routes`, `hostile`: the hardening suite's company with one object of every kind,
  the URL map as concrete URLs, and hostile inputs;
- `crash_server`, `sqlite_writer`: programs the hardening tests start as separate processes;
- `migrations`: an Alembic revision applied to a database that already holds data.

Test modules import from here, never from a conftest or from another test module.
"""
