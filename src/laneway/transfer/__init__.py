"""Project export and import: a JSON archive of one project (lossless, history included), CSV
of its tasks, and Trello boards. See docs/operations.md, "Export and import".

Every function takes the Database and a Progress (rows done of a total), opens its own
transaction (an export reads one snapshot; an import writes all or nothing) and raises
TransferError with a one-line message for input it refuses.
"""

from laneway.transfer.csv_export import export_csv
from laneway.transfer.csv_import import CsvImportResult, import_csv
from laneway.transfer.csv_read import RowIssue
from laneway.transfer.errors import TransferError
from laneway.transfer.export import ExportSummary, export_project
from laneway.transfer.importer import ImportResult, import_project
from laneway.transfer.progress import Progress, Reporter
from laneway.transfer.trello import TrelloImportResult, import_trello

__all__ = [
    "CsvImportResult",
    "ExportSummary",
    "ImportResult",
    "Progress",
    "Reporter",
    "RowIssue",
    "TransferError",
    "TrelloImportResult",
    "export_csv",
    "export_project",
    "import_csv",
    "import_project",
    "import_trello",
]
