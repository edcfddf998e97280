"""Extension objects, created once and bound to the app in create_app (never in app.py)."""

from typing import TYPE_CHECKING

from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from domain.core.orm import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()  # pages, fragments and JSON; static files are compressed once (web/assets.py)

# The base class of every table: Flask-SQLAlchemy builds db.Model at run time from Base, which
# type checkers cannot follow; to them it is Base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
