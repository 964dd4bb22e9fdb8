"""Database tables of laborwatch; importing this package registers every table on `metadata`."""

from models.base import metadata
from models.claim import Claim
from models.facility import Facility, FacilityAlias
from models.report import Report, ReportContributor, ReportFacility

__all__ = ["Claim", "Facility", "FacilityAlias", "Report", "ReportContributor", "ReportFacility", "metadata"]
