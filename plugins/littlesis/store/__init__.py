"""Our database: SQLAlchemy 2 models, repository functions and Alembic migrations.

Repository functions take a Session (open one with ``session_scope``) and return
plain dataclasses or dicts, never ORM objects. Imports core only.
"""
