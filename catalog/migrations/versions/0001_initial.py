"""entries, versions, files, findings, reviews, publications

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign', sa.String(length=60), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('template_version', sa.String(length=20), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_campaign'), ['campaign'], unique=False)
        batch_op.create_index('ix_deliveries_city_department', ['city', 'department'], unique=False)

    op.create_table('entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=40), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=400), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('theme', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('data_kind', sa.String(length=40), nullable=True),
    sa.Column('source_system', sa.String(length=400), nullable=True),
    sa.Column('contact_name', sa.String(length=400), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('personal_data', sa.String(length=20), nullable=True),
    sa.Column('third_party_rights', sa.String(length=20), nullable=True),
    sa.Column('access_rights', sa.String(length=200), nullable=True),
    sa.Column('restriction_reason', sa.Text(), nullable=True),
    sa.Column('license', sa.String(length=200), nullable=True),
    sa.Column('attribution', sa.Text(), nullable=True),
    sa.Column('formats', sa.JSON(), nullable=False),
    sa.Column('access_url', sa.Text(), nullable=True),
    sa.Column('frequency', sa.String(length=200), nullable=True),
    sa.Column('temporal_start', sa.String(length=10), nullable=True),
    sa.Column('temporal_end', sa.String(length=10), nullable=True),
    sa.Column('spatial_scope', sa.String(length=20), nullable=True),
    sa.Column('spatial', sa.String(length=200), nullable=True),
    sa.Column('last_updated', sa.String(length=10), nullable=True),
    sa.Column('hvd_category', sa.String(length=200), nullable=True),
    sa.Column('publish_proposal', sa.String(length=10), nullable=True),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('quality_score', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('remote_source', sa.Text(), nullable=True),
    sa.Column('remote_id', sa.String(length=400), nullable=True),
    sa.Column('remote_modified', sa.String(length=40), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('gone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identifier')
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_city_department', ['city', 'department'], unique=False)
        batch_op.create_index('ix_entries_remote', ['remote_source', 'remote_id'], unique=False)
        batch_op.create_index('ix_entries_status', ['status'], unique=False)

    op.create_table('identifier_counters',
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('city', 'department')
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.Column('portal', sa.Text(), nullable=False),
    sa.Column('package_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('remote_id', sa.String(length=100), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publications_entry_id'), ['entry_id'], unique=False)

    op.create_table('received_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=255), nullable=True),
    sa.Column('stored_path', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=True),
    sa.Column('department', sa.String(length=10), nullable=True),
    sa.Column('campaign', sa.String(length=60), nullable=True),
    sa.Column('template_version', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=30), nullable=False),
    sa.Column('state_from', sa.String(length=20), nullable=False),
    sa.Column('state_to', sa.String(length=20), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_entry_id'), ['entry_id'], unique=False)

    op.create_table('entry_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('sheet', sa.String(length=100), nullable=True),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['received_files.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id', 'version', name='uq_entry_versions_entry_version')
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('entry_version', sa.Integer(), nullable=True),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=True),
    sa.Column('department', sa.String(length=10), nullable=True),
    sa.Column('identifier', sa.String(length=40), nullable=True),
    sa.Column('file', sa.String(length=255), nullable=True),
    sa.Column('sheet', sa.String(length=100), nullable=True),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('column', sa.String(length=4), nullable=True),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['received_files.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_city_severity', ['city', 'severity', 'is_open'], unique=False)
        batch_op.create_index('ix_findings_entry', ['entry_id', 'is_open'], unique=False)
        batch_op.create_index('ix_findings_file', ['file_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_file')
        batch_op.drop_index('ix_findings_entry')
        batch_op.drop_index('ix_findings_city_severity')

    op.drop_table('findings')
    op.drop_table('entry_versions')
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decisions_entry_id'))

    op.drop_table('review_decisions')
    op.drop_table('received_files')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_entry_id'))

    op.drop_table('publications')
    op.drop_table('runs')
    op.drop_table('identifier_counters')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index('ix_entries_status')
        batch_op.drop_index('ix_entries_remote')
        batch_op.drop_index('ix_entries_city_department')

    op.drop_table('entries')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_city_department')
        batch_op.drop_index(batch_op.f('ix_deliveries_campaign'))

    op.drop_table('deliveries')
    op.drop_table('campaigns')
