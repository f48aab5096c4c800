"""entry_keys: the names by which sources know an entry's dataset

Revision ID: 0003
Revises: 0002_hvd_protected
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002_hvd_protected'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entry_keys',
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], ),
    sa.PrimaryKeyConstraint('city', 'key')
    )
    with op.batch_alter_table('entry_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_keys_entry_id'), ['entry_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('entry_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_keys_entry_id'))
    op.drop_table('entry_keys')
