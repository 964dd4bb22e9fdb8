"""Database tables of laborwatch; importing this package registers every table on `metadata`."""

from models.base import metadata
from models.claim import Claim
from models.facility import Facility, FacilityAlias
from models.report import Report, ReportContributor, ReportFacility
from models.version import DataVersion

__all__ = [
    "Claim",
    "DataVersion",
    "Facility",
    "FacilityAlias",
    "Report",
    "ReportContributor",
    "ReportFacility",
    "metadata",
]
