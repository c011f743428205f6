"""Undo removes only what no other import also brought; overlapping customers are kept, replaced or merged."""

from __future__ import annotations

import pytest

from cx.ingest import UsageError, analyse, import_file, undo_import
from tests.unit.ingest_helpers import query

JANUARY = b"Customer ID,Name,Plan,Region,Tenure,Churn\nc1,Ada,Gold,North,3,No\nc2,Bo,Silver,,5,No\n"
FEBRUARY = b"Customer ID,Name,Plan,Region,Tenure,Churn\nc1,Ada L.,Bronze,,4,Yes\nc3,Cy,Gold,South,1,No\n"
TICKETS = b"Ticket,Customer,Opened,Channel\nt1,c1,2026-01-05,Chat\nt2,c2,2026-01-06,Phone\n"


def customers(db):
    return query(db, "SELECT customer_id, name, plan, region, churned FROM customers ORDER BY 1")


def attributes(db):
    return query(db, "SELECT customer_id, attribute, value FROM customer_attributes ORDER BY 1, 2")


def test_undoing_the_first_of_two_identical_imports_keeps_the_rows_the_second_also_brought(db_file):
    first = import_file(TICKETS, file_name="tickets.csv", db=db_file)
    second = import_file(TICKETS, file_name="tickets again.csv", db=db_file)
    assert (second.imported, second.duplicates) == (0, 2)
    assert undo_import(first.import_id, db=db_file) == 0  # nothing removed: the second import still has them
    assert query(db_file, "SELECT interaction_id, import_id FROM interactions ORDER BY 1") == [
        ("t1", second.import_id), ("t2", second.import_id)]  # fmt: skip
    assert undo_import(second.import_id, db=db_file) == 2
    assert query(db_file, "SELECT count(*) FROM interactions") == [(0,)]


def test_customers_another_import_also_brought_survive_its_undo_with_their_own_values(db_file):
    jan = import_file(JANUARY, file_name="jan.csv", db=db_file)
    feb = import_file(FEBRUARY, file_name="feb.csv", db=db_file)  # keep: c1 stays as January had it
    assert customers(db_file)[0] == ("c1", "Ada", "Gold", "North", False)
    undo_import(jan.import_id, db=db_file)
    # c1 is February's now, as February's file has it; c2 only January brought, so it goes.
    assert customers(db_file) == [("c1", "Ada L.", "Bronze", None, True), ("c3", "Cy", "Gold", "South", False)]
    assert attributes(db_file) == [("c1", "Tenure", "4"), ("c3", "Tenure", "1")]
    assert query(db_file, "SELECT DISTINCT import_id FROM customers") == [(feb.import_id,)]


def test_replace_takes_the_files_row_and_undo_gives_the_stored_one_back(db_file):
    import_file(JANUARY, file_name="jan.csv", db=db_file)
    before = (customers(db_file), attributes(db_file))
    feb = import_file(FEBRUARY, file_name="feb.csv", db=db_file, on_conflict="replace")
    assert feb.updated == 1
    assert customers(db_file)[0] == ("c1", "Ada L.", "Bronze", None, True)
    assert ("c1", "Tenure", "4") in attributes(db_file)
    undo_import(feb.import_id, db=db_file)
    assert (customers(db_file), attributes(db_file)) == before


def test_merge_takes_the_files_values_where_it_has_them(db_file):
    import_file(JANUARY, file_name="jan.csv", db=db_file)
    feb = import_file(FEBRUARY, file_name="feb.csv", db=db_file, on_conflict="merge")
    assert customers(db_file)[0] == ("c1", "Ada L.", "Bronze", "North", True)  # region: the file has none
    undo_import(feb.import_id, db=db_file)
    assert customers(db_file)[0] == ("c1", "Ada", "Gold", "North", False)


def test_undoing_the_original_after_a_replace_leaves_the_replacement(db_file):
    jan = import_file(JANUARY, file_name="jan.csv", db=db_file)
    import_file(FEBRUARY, file_name="feb.csv", db=db_file, on_conflict="replace")
    undo_import(jan.import_id, db=db_file)
    assert customers(db_file) == [("c1", "Ada L.", "Bronze", None, True), ("c3", "Cy", "Gold", "South", False)]


def test_the_analysis_reports_overlapping_customers_with_other_values_as_conflicts(db_file):
    import_file(JANUARY, file_name="jan.csv", db=db_file)
    plan = analyse(FEBRUARY, file_name="feb.csv", db=db_file)
    assert plan.conflicts == 1
    assert plan.conflict_examples[0]["customer_id"] == "c1"
    assert plan.conflict_examples[0]["stored plan"] == "Gold" and plan.conflict_examples[0]["file plan"] == "Bronze"
    assert analyse(JANUARY, file_name="jan.csv", db=db_file).conflicts == 0  # the same values: no conflict


def test_an_unknown_conflict_choice_is_refused_before_anything_is_written(db_file):
    with pytest.raises(UsageError, match="keep, replace, merge"):
        import_file(JANUARY, file_name="jan.csv", db=db_file, on_conflict="overwrite")
    assert not db_file.exists()


KILLED_MID_UNDO = """
import sys, time
from cx.ingest import load
original = load.audit.record
def record_then_hang(*args, **kwargs):  # inside the undo's transaction, after every delete
    original(*args, **kwargs)
    print("deleted", flush=True)
    time.sleep(60)
load.audit.record = record_then_hang
load.undo_import(int(sys.argv[2]), db=sys.argv[1])
"""


def test_an_undo_killed_half_way_leaves_the_database_as_before(db_file):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.unit.ingest_helpers import contents

    jan = import_file(JANUARY, file_name="jan.csv", db=db_file)
    import_file(FEBRUARY, file_name="feb.csv", db=db_file, on_conflict="replace")
    import_file(TICKETS, file_name="tickets.csv", db=db_file)
    before = contents(db_file)
    root = Path(__file__).resolve().parents[2]
    undo = subprocess.Popen([sys.executable, "-c", KILLED_MID_UNDO, str(db_file), str(jan.import_id)], cwd=root,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert undo.stdout.readline().strip() == "deleted"
    finally:
        undo.send_signal(signal.SIGKILL)
        undo.wait(timeout=30)
    assert contents(db_file) == before
