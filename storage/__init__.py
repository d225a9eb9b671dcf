"""Persistence: SQLAlchemy 2 models, engines and sessions, the job queue, migrations."""

from storage.campaign_models import Campaign, CampaignRow
from storage.db import DEFAULT_DATABASE_URL, async_url, make_engine, make_sessionmaker
from storage.models import Attachment, Base, Conversation, Job, Message, SlackEvent, StatusEvent
from storage.people_models import HomeMark, PersonSettings
from storage.privacy_models import AuditEntry, ForgottenOptOut, InstallKey
from storage.template_models import Template

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Attachment",
    "AuditEntry",
    "ForgottenOptOut",
    "HomeMark",
    "InstallKey",
    "Base",
    "Campaign",
    "CampaignRow",
    "Conversation",
    "Job",
    "Message",
    "PersonSettings",
    "SlackEvent",
    "StatusEvent",
    "Template",
    "async_url",
    "make_engine",
    "make_sessionmaker",
]
