"""Importing the files people really have: read → detect/map → validate → load.

    plan = analyse(path_or_bytes, file_name="export.csv")      # what it is, mapping, preview, errors
    result = import_file(path_or_bytes, file_name="export.csv", mapping=plan.mapping)
    undo_import(result.import_id)

A help-desk export (tickets with ratings) is one import of kind
"interactions+responses": tickets become interactions, ratings responses linked
by interaction_id. `rows == imported + duplicates + rejected` counts records of
the file, whatever tables they fill.
"""

from cx.ingest.importer import ImportResult, analyse, import_file
from cx.ingest.load import ON_CONFLICT, UndoRefused, import_history, rejected_rows, undo_import
from cx.ingest.plan import ImportPlan, UsageError
from cx.ingest.read import ImportRefused
from cx.ingest.validate import message

__all__ = [
    "ON_CONFLICT",
    "ImportPlan",
    "ImportRefused",
    "ImportResult",
    "UndoRefused",
    "UsageError",
    "analyse",
    "import_file",
    "import_history",
    "message",
    "rejected_rows",
    "undo_import",
]
