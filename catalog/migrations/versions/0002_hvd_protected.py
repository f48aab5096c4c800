"""entries: bulk download, API, legal basis, re-use conditions and listing answer (survey 2026.2)

Revision ID: 0002_hvd_protected
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_hvd_protected"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[str]], ...] = (
    ("download_url", sa.Text()),
    ("api_url", sa.Text()),
    ("api_type", sa.String(length=20)),
    ("api_documentation", sa.Text()),
    ("legal_basis", sa.Text()),
    ("reuse_conditions", sa.Text()),
    ("protected_listing", sa.String(length=10)),
)


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        for name, _kind in reversed(_COLUMNS):
            batch.drop_column(name)
