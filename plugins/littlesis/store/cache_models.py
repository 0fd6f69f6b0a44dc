"""The Classroom cache: what one Classroom domain looked like at the last refresh.

Every table is keyed by ``domain``, a text key naming the Classroom connection, so
several connections can share one store. Classroom's RFC 3339 timestamps are kept
as the exact strings the API returned, so the cache compares equal to the source.
No foreign keys: a cache is replaced wholesale or course by course, never edited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from littlesis.store.base import Base
from littlesis.store.coltypes import UTCDateTime

DOMAIN = String(255)
ID = String(255)
STAMP = String(40)


class CacheCourse(Base):
    __tablename__ = "ls_cache_courses"

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    course_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    room: Mapped[str | None] = mapped_column(Text)
    description_heading: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(ID)
    course_state: Mapped[str | None] = mapped_column(String(20))
    creation_time: Mapped[str | None] = mapped_column(STAMP)
    update_time: Mapped[str | None] = mapped_column(STAMP)
    alternate_link: Mapped[str | None] = mapped_column(Text)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CacheAlias(Base):
    """An alias belongs to one course per domain: the primary key is the uniqueness rule."""

    __tablename__ = "ls_cache_aliases"
    __table_args__ = (Index("ix_ls_cache_aliases_course", "domain", "course_id"),)

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    alias: Mapped[str] = mapped_column(ID, primary_key=True)
    course_id: Mapped[str] = mapped_column(ID)


class CacheTeacher(Base):
    __tablename__ = "ls_cache_teachers"
    __table_args__ = (Index("ix_ls_cache_teachers_user", "domain", "user_id"),)

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    course_id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str | None] = mapped_column(ID)


class CacheStudent(Base):
    __tablename__ = "ls_cache_students"
    __table_args__ = (Index("ix_ls_cache_students_user", "domain", "user_id"),)

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    course_id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str | None] = mapped_column(ID)


class CacheUser(Base):
    __tablename__ = "ls_cache_users"
    __table_args__ = (Index("ix_ls_cache_users_email", "domain", "email"),)

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str | None] = mapped_column(ID)
    given_name: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)


class CacheGuardianInvitation(Base):
    __tablename__ = "ls_cache_guardian_invitations"

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    student_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invitation_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invited_email: Mapped[str | None] = mapped_column(ID)
    state: Mapped[str | None] = mapped_column(String(20))
    creation_time: Mapped[str | None] = mapped_column(STAMP)


class CacheGuardian(Base):
    __tablename__ = "ls_cache_guardians"

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    student_id: Mapped[str] = mapped_column(ID, primary_key=True)
    guardian_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invited_email: Mapped[str | None] = mapped_column(ID)


class CacheMeta(Base):
    __tablename__ = "ls_cache_meta"

    domain: Mapped[str] = mapped_column(DOMAIN, primary_key=True)
    last_full_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
