"""Project export and import: a JSON archive of one project (lossless, history included), CSV
of its tasks, and Trello boards. See docs/operations.md, "Export and import".

Every function takes the Database and a Progress (rows done of a total), opens its own
transaction (an export reads one snapshot; an import writes all or nothing) and raises
TransferError with a one-line message for input it refuses.
"""

from laneway.transfer.errors import TransferError
from laneway.transfer.export import ExportSummary, export_project
from laneway.transfer.importer import ImportResult, import_project
from laneway.transfer.progress import Progress, Reporter

__all__ = [
    "ExportSummary",
    "ImportResult",
    "Progress",
    "Reporter",
    "TransferError",
    "export_project",
    "import_project",
]
