"""seal client-link tokens: a copy of the database no longer gives working links

Each stored token becomes its 32 random bytes XOR HMAC-SHA256(SECRET_KEY, "encaisse client
link:" + its SHA-256), in hex; the app unseals it with the same key (domain.portal.links).
The sealing is spelled out here (migrations never import application code that may change).

Revision ID: a1c3e5f70001
Revises: 396f70a8d54d
Create Date: 2026-11-27 21:40:00

"""
import base64
import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = 'a1c3e5f70001'
down_revision = '396f70a8d54d'
branch_labels = None
depends_on = None

_links = sa.table("document_links", sa.column("id", sa.Integer), sa.column("token", sa.String),
                  sa.column("token_sealed", sa.String), sa.column("token_sha256", sa.String))


def _secret() -> bytes:
    key = current_app.config["SECRET_KEY"]
    return key.encode() if isinstance(key, str) else bytes(key)


def _pad(secret: bytes, token_sha256: str) -> bytes:
    return hmac.new(secret, b"encaisse client link:" + token_sha256.encode(), hashlib.sha256).digest()


def upgrade():
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_sealed', sa.String(length=64), nullable=True))
    connection, secret = op.get_bind(), _secret()
    for link_id, token, token_sha256 in connection.execute(sa.select(_links.c.id, _links.c.token, _links.c.token_sha256)):
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        sealed = bytes(a ^ b for a, b in zip(raw, _pad(secret, token_sha256), strict=True)).hex()
        connection.execute(_links.update().where(_links.c.id == link_id).values(token_sealed=sealed))
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.alter_column('token_sealed', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('token')


def downgrade():
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
    connection, secret = op.get_bind(), _secret()
    for link_id, sealed, token_sha256 in connection.execute(
            sa.select(_links.c.id, _links.c.token_sealed, _links.c.token_sha256)):
        raw = bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), _pad(secret, token_sha256), strict=True))
        token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        connection.execute(_links.update().where(_links.c.id == link_id).values(token=token))
    with op.batch_alter_table('document_links', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('token_sealed')
