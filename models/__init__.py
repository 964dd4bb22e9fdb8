"""Database tables of laborwatch; importing this package registers every table on `metadata`."""

from models.apikey import ApiKey
from models.base import metadata
from models.change import Change
from models.claim import Claim
from models.facility import Facility, FacilityAlias, FacilityRedirect
from models.following import ChangeSubject, Webhook, WebhookDelivery, WebhookEvent
from models.report import Report, ReportContributor, ReportFacility
from models.version import DataVersion

__all__ = [
    "ApiKey",
    "Change",
    "ChangeSubject",
    "Claim",
    "DataVersion",
    "Facility",
    "FacilityAlias",
    "FacilityRedirect",
    "Report",
    "ReportContributor",
    "ReportFacility",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "metadata",
]
