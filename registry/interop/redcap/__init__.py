"""REDCap projects in: a data dictionary, a records export and a mapping file become the
registry's exchange cases, imported by the registry's own importer (docs/redcap.md)."""

from .errors import RedcapError, RedcapFileError
from .project import PARTS, ProjectFiles, import_project, import_reason, read_project

__all__ = [
    "PARTS",
    "ProjectFiles",
    "RedcapError",
    "RedcapFileError",
    "import_project",
    "import_reason",
    "read_project",
]
