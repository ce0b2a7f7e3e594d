"""The database schema: display names, sessions and their timeline, roster, assignments, submissions, posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class BotState(Base):
    """Small key-value facts about the bot itself (e.g. the hash of the last synced command set)."""

    __tablename__ = "bot_state"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DisplayName(Base):
    """A seated student's display name in a guild, kept so exports never need a live Discord connection.

    Written when the student is seated, updated when they are seen again under another name.
    """

    __tablename__ = "display_names"
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[datetime]


class SessionRow(Base):
    """One run of a plan in one channel: its timeline as absolute times, and where announcing has got to."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    plan_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)  # a `bot.core.statuses.SessionStatus`
    entries: Mapped[list[Any]]  # the timeline's steps (phases, presentation slots) as planned
    durations_ms: Mapped[list[Any]]  # each step's effective length, after pauses, extends, next and back
    started_at: Mapped[datetime]
    paused_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    cursor: Mapped[int] = mapped_column(Integer, default=-1)  # the last step whose start was announced
    open_posts: Mapped[list[Any]] = mapped_column(default=list)  # keys of the current step's posts
    seed: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class TimelineEvent(Base):
    """What happened to a session's clock and who did it, for the status line and the export."""

    __tablename__ = "timeline_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # a `bot.core.statuses.EventKind`
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RosterEntry(Base):
    """A known student of a guild: their Discord user and, when imported, their student id and name."""

    __tablename__ = "roster"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"), UniqueConstraint("guild_id", "student_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    student_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    discord_ref: Mapped[str | None] = mapped_column(String(100))


class CheckIn(Base):
    """A student's "I'm here" for a session."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]


class AssignmentRow(Base):
    """One student's seat (paper and role) in a session's assignment, previewed or confirmed."""

    __tablename__ = "assignments"
    # A preview may sit beside the confirmed assignment it would replace: one seat per student per status.
    __table_args__ = (UniqueConstraint("session_id", "user_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    paper_key: Mapped[str] = mapped_column(String(64))
    role_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # a `bot.core.statuses.SeatStatus`
    assigned_at: Mapped[datetime]
    seed: Mapped[int] = mapped_column(BigInteger, default=0)  # the solver seed this seat came from


class Acknowledgement(Base):
    """Whether a student's role card reached them and whether they pressed "Got it"."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    delivery: Mapped[str] = mapped_column(String(20))  # a `bot.core.statuses.Delivery`
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]


class Submission(Base):
    """Something a student handed in (a group's slides link, a role's deliverable); history is kept."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # slides, deliverable
    group_key: Mapped[str] = mapped_column(String(130))  # paper key, or paper/role
    user_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_at: Mapped[datetime]


class PostRow(Base):
    """The outbox: a message to post or edit under a stable key, kept pending until Discord has it.

    A post is written in the same transaction as the decision that needs it, then delivered with a
    fixed nonce (Discord drops a repeat), so a crash between the two never loses or doubles a message.
    """

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # e.g. "session:12" or "guild:34"
    # The guild the post belongs to: with several processes, the one owning its shard delivers it.
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    key: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(25))
    kind: Mapped[str] = mapped_column(String(10), default="send")  # a `bot.core.statuses.PostKind`
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), index=True)  # a `bot.core.statuses.PostStatus`
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    not_before: Mapped[datetime | None]  # decided ahead of its moment: not sent before this instant
    sent_at: Mapped[datetime | None]


class ThreadRow(Base):
    """A thread the bot created for a session: one per paper group and one per role-partner set."""

    __tablename__ = "threads"
    __table_args__ = (UniqueConstraint("session_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(130))  # "group:<paper>" or "partners:<paper>:<role>"
    thread_id: Mapped[int] = mapped_column(BigInteger)
    private: Mapped[bool] = mapped_column(Boolean)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class ConfirmStep(Base):
    """One step of a confirmed assignment (a room, the class table post, the instructor's report) and how it went.

    Confirm is a set of independent steps, each recorded here, so a restart resumes what a crash cut short
    and a later retry does only what is missing. Role cards are tracked per student in `acknowledgements`.
    """

    __tablename__ = "confirm_steps"
    __table_args__ = (UniqueConstraint("session_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(140))  # "room:<thread key>", "table", "report"
    status: Mapped[str] = mapped_column(String(20))  # a `bot.core.statuses.StepStatus`
    detail: Mapped[str | None] = mapped_column(Text)  # what to grant (blocked) or the error (failed)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # who confirmed (the report goes to them)
    updated_at: Mapped[datetime]


class ProjectGroupRow(Base):
    """A course project group in a guild: its name, join code, own proposal and private room."""

    __tablename__ = "project_groups"
    __table_args__ = (UniqueConstraint("guild_id", "code"), UniqueConstraint("guild_id", "name_key"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))  # the name case-folded: names are unique per guild
    code: Mapped[str] = mapped_column(String(12))
    own_title: Mapped[str | None] = mapped_column(String(200))
    own_abstract: Mapped[str | None] = mapped_column(Text)
    own_status: Mapped[str | None] = mapped_column(String(20))  # pending, approved, returned
    own_reason: Mapped[str | None] = mapped_column(Text)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class ProjectMemberRow(Base):
    """A student's seat in a project group: one group per student, seats 1..max size per group."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"), UniqueConstraint("group_id", "seat_no"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("project_groups.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    seat_no: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[datetime]


class ProjectPlaceRow(Base):
    """A group's hold on one of a proposal's places (1..max_groups): two groups cannot share a place."""

    __tablename__ = "project_places"
    __table_args__ = (
        UniqueConstraint("guild_id", "proposal_key", "place_no"),
        UniqueConstraint("group_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("project_groups.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(BigInteger)
    proposal_key: Mapped[str] = mapped_column(String(64))
    place_no: Mapped[int] = mapped_column(Integer)
    chosen_by: Mapped[int] = mapped_column(BigInteger)
    chosen_at: Mapped[datetime]


class ProjectInterestRow(Base):
    """A student's "I'm interested" in a proposal."""

    __tablename__ = "project_interest"
    __table_args__ = (UniqueConstraint("guild_id", "proposal_key", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    proposal_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
