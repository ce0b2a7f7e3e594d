"""The file's structure and value types: pydantic models with `extra="forbid"` and strict types."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydField

from bot.core.plan import (
    TEXT_INPUT_MAX_LENGTH,
)

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
KEY_RE = re.compile(KEY_PATTERN)
CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MAX_MINUTES = 24 * 60
_MAX_SECONDS = 24 * 60 * 60

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Minutes = Annotated[int, PydField(gt=0, le=_MAX_MINUTES)]
Seconds = Annotated[int, PydField(gt=0, le=_MAX_SECONDS)]

_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True)


class CourseSection(BaseModel):
    """`[course]`."""

    model_config = _MODEL_CONFIG
    name: Text
    timezone: Text


class DiscordSection(BaseModel):
    """`[discord]`."""

    model_config = _MODEL_CONFIG
    instructor_roles: Annotated[list[Text], PydField(min_length=1)]
    student_role: Text
    class_channel: Text
    dev_guild_id: Annotated[int, PydField(gt=0)] | None = None
    api_base: Text | None = None
    gateway_url: Text | None = None


class PlatformSection(BaseModel):
    """`[platform]`: the chat the course lives in (Discord unless it says Slack)."""

    model_config = _MODEL_CONFIG
    name: Literal["discord", "slack"] = "discord"


class SlackSection(BaseModel):
    """`[slack]` (with `[platform] name = "slack"`); values are checked in `bot/config/platform.py`."""

    model_config = _MODEL_CONFIG
    class_channel: Text
    instructors: list[Text] = PydField(default_factory=list)
    command_prefix: str = ""
    time_left_refresh_seconds: Annotated[int, PydField(ge=0, le=3600)] = 60


class SessionSection(BaseModel):
    """`[session]`."""

    model_config = _MODEL_CONFIG
    default_plan: Key | None = None
    warning_seconds: list[Seconds] = PydField(default_factory=lambda: [120])
    ack_reminder_minutes: Minutes | None = None
    ack_reminder_seconds: Seconds | None = None
    slides_per: Literal["paper", "role"] = "paper"


class WebSection(BaseModel):
    """`[web]`: the projector page's server (off when the section is absent)."""

    model_config = _MODEL_CONFIG
    host: Text = "127.0.0.1"
    port: Annotated[int, PydField(ge=0, le=65535)] = 8080
    public_url: Text | None = None


class TeacherModel(BaseModel):
    """One `[[teachers]]` entry."""

    model_config = _MODEL_CONFIG
    name: Text
    discord: Text


class PaperModel(BaseModel):
    """One `[[papers]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    title: Text
    link: Text
    teachers: list[Text] = PydField(default_factory=list)


class FieldModel(BaseModel):
    """One `[[roles.fields]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    label: Text
    style: Literal["short", "long"] = "short"
    kind: Literal["text", "url", "choice"] | None = None
    choices: list[Text] | None = None
    min_length: Annotated[int, PydField(ge=0, le=TEXT_INPUT_MAX_LENGTH)] | None = None
    max_length: Annotated[int, PydField(ge=1, le=TEXT_INPUT_MAX_LENGTH)] | None = None
    min_sentences: Annotated[int, PydField(ge=0, le=1000)] | None = None
    max_sentences: Annotated[int, PydField(ge=1, le=1000)] | None = None
    required: bool = True


class RoleModel(BaseModel):
    """One `[[roles]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    name: Text
    plural: Text | None = None
    brief: Text
    min: Annotated[int, PydField(ge=0, le=1000)]
    max: Annotated[int, PydField(ge=1, le=1000)]
    presents: bool = False
    fields: list[FieldModel] = PydField(default_factory=list)


class PhaseModel(BaseModel):
    """One `[[phases]]` entry."""

    model_config = _MODEL_CONFIG
    key: Key
    name: Text
    minutes: Minutes | None = None
    seconds: Seconds | None = None
    audience: Literal["class", "groups", "partners"] = "class"
    kind: Literal["activity", "break", "presentation"] = "activity"
    text: str = ""
    collect_slides: bool = False
    slot_minutes: Minutes | None = None
    slot_seconds: Seconds | None = None


class PlanModel(BaseModel):
    """One `[plans.NAME]` table (start/end are checked by hand: "HH:MM" strings or TOML local times)."""

    model_config = _MODEL_CONFIG
    start: Any = None
    end: Any = None
    phases: Annotated[list[str], PydField(min_length=1)]


class ProjectModel(BaseModel):
    """One `[[projects]]` entry: a lecturer's project proposal."""

    model_config = _MODEL_CONFIG
    key: Key
    title: Text
    supervisors: Annotated[list[Text], PydField(min_length=1)]
    description: str = ""
    link: Text | None = None
    max_groups: Annotated[int, PydField(ge=1, le=100)] = 2


class ProjectRulesModel(BaseModel):
    """`[project_rules]`: group sizes, own proposals, the lock deadline, nudges, the weekly chat."""

    model_config = _MODEL_CONFIG
    min_size: Annotated[int, PydField(ge=1, le=50)] = 3
    recommended_size: Annotated[int, PydField(ge=1, le=50)] = 4
    max_size: Annotated[int, PydField(ge=1, le=50)] = 4
    own_proposals: bool = True
    lock: Any = None  # "YYYY-MM-DD HH:MM" or a TOML local date-time, in the course's time zone
    phase: Key | None = None
    nudge_days: list[Annotated[int, PydField(ge=0, le=60)]] = PydField(default_factory=lambda: [3, 1])
    chat_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = (
        None
    )
    chat_time: Any = None
    chat_lead: str = "1h"
    chat_until: Any = None


class CalendarModel(BaseModel):
    """One `[[calendar]]` entry: a dated item of the course."""

    model_config = _MODEL_CONFIG
    date: Any
    time: Any = None
    title: Text
    who: str = ""
    kind: Literal["lecture", "deadline", "session", "exam", "holiday"] = "lecture"
    minutes: Annotated[int, PydField(ge=0, le=24 * 60)] = 0


class CalendarRemindersModel(BaseModel):
    """`[calendar_reminders]`: how long before each kind of entry a reminder goes to the class channel."""

    model_config = _MODEL_CONFIG
    deadline: list[str] = PydField(default_factory=lambda: ["2d", "2h"])
    session: list[str] = PydField(default_factory=lambda: ["1d"])
    exam: list[str] = PydField(default_factory=lambda: ["7d", "1d"])
    lecture: list[str] = PydField(default_factory=list)
    holiday: list[str] = PydField(default_factory=list)


class ConfigModel(BaseModel):
    """The whole file."""

    model_config = _MODEL_CONFIG
    course: CourseSection
    platform: PlatformSection = PydField(default_factory=PlatformSection)
    discord: DiscordSection | None = None  # required on Discord: bot/config/platform.py says so
    slack: SlackSection | None = None
    session: SessionSection = PydField(default_factory=SessionSection)
    web: WebSection | None = None
    teachers: list[TeacherModel] | None = None
    papers: Annotated[list[PaperModel], PydField(min_length=1)]
    roles: Annotated[list[RoleModel], PydField(min_length=1)]
    phases: Annotated[list[PhaseModel], PydField(min_length=1)]
    plans: Annotated[dict[Key, PlanModel], PydField(min_length=1)]
    projects: list[ProjectModel] | None = None
    project_rules: ProjectRulesModel | None = None
    calendar: list[CalendarModel] | None = None
    calendar_reminders: CalendarRemindersModel | None = None
