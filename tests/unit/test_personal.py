"""Personal data in columns: found by header and values at import, hashed or dropped by rule, masked for viewers."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cx.analysis import metrics, personal, scope
from cx.analysis.filters import Filters
from cx.ingest import analyse, import_file, undo_import
from cx.store import audit, db, settings

ADMIN = audit.Actor("lee@example.com", "admin")
CRM = (
    b"Customer,Full name,Phone,Plan,Region\n"
    b"ana@example.com,Ana Lima,+44 20 7946 0958,Gold,Europe\n"
    b"bo@example.org,Bo Chen,+1 415 555 0100,Silver,Europe\n"
    b"cy@example.net,Cy Diaz,020 7946 0000,Gold,Asia\n"
)
SURVEY = b"Respondent,Customer,Date,NPS\nr1,Ana@Example.com ,2026-01-05,9\nr2,bo@example.org,2026-01-06,3\n"
JAN = Filters.build(date(2026, 1, 1), date(2026, 1, 31))


def import_crm(path, **kwargs):
    return import_file(CRM, file_name="crm.csv", db=path, kind="customers", mapping={"Customer": "customer_id"},
                       **kwargs)  # fmt: skip


def every_text(path) -> str:
    """Every value stored anywhere in the database, as one string to search."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return " ".join(str(row) for t in tables for row in con.execute(f'SELECT * FROM "{t}"').fetchall())
    finally:
        con.close()


@pytest.mark.parametrize(
    ("header", "values", "kind"),
    [
        ("E-mail", [], "email"),
        ("Contact", ["ana@example.com", "bo@example.org", "cy@x.io"], "email"),
        ("Mobile", ["07700 900123"], "phone"),
        ("Notes", ["+44 20 7946 0958", "+1 415 555 0100", "0049 30 1234567"], "phone"),
        ("Full name", ["Ana Lima", "Bo Chen"], "name"),
        ("Respondent", ["Ana Lima", "Bo Chen", "Cy Diaz", "José da Silva", "Eve Adams"], "name"),
        ("IBAN", [], "identifier"),
        ("Ref", ["123-45-6789", "987-65-4321"], "identifier"),
        ("Card", ["4111 1111 1111 1111", "5500-0000-0000-0004"], "identifier"),
    ],
)
def test_personal_columns_are_found_by_header_or_by_values(header, values, kind):
    assert personal.classify(header, values).kind == kind


@pytest.mark.parametrize(
    ("header", "values", "distinct_share"),
    [
        ("Company name", ["Acme Ltd", "Globex"], 1.0),
        ("Region", ["North America", "Europe", "North America"], 0.02),  # few distinct values: labels, not names
        ("Order date", ["2026-01-05", "2026-02-11"], 1.0),
        ("Amount", ["1,299.00", "12.50"], 1.0),
        ("Ticket ID", ["T-1001", "T-1002"], 1.0),
    ],
)
def test_columns_that_only_look_personal_are_left_alone(header, values, distinct_share):
    assert personal.classify(header, values, distinct_share=distinct_share) is None


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        ("ana.lima@example.com", "email", "•••@example.com"),
        ("+44 20 7946 0958", "phone", "••• 58"),
        ("José  da Silva", "name", "J. d. S."),
        ("GB82 WEST 1234 5698 7654 32", "identifier", "•••32"),
        (None, "email", None),
    ],
)
def test_a_masked_value_tells_two_apart_but_cannot_be_used_to_reach_anyone(value, kind, shown):
    assert personal.mask_value(value, kind) == shown


def test_the_plan_names_every_personal_column_and_what_will_happen_to_it(db_file):
    plan = analyse(CRM, file_name="crm.csv", kind="customers", mapping={"Customer": "customer_id"}, db=db_file)
    assert {(c.header, c.kind, c.stored_as, c.rule) for c in plan.personal} == {
        ("Customer", "email", "customer_id", "mask"),
        ("Full name", "name", "name", "mask"),
        ("Phone", "phone", "attr.Phone", "mask"),
    }
    assert '"Phone" holds phone numbers (100% of its values look like phone numbers); kept as the attribute ' \
           '"Phone", masked for viewers.' in plan.notes  # fmt: skip


def test_a_column_the_import_leaves_out_is_named_but_not_stored(db_file):
    plan = analyse(b"Respondent,Date,NPS,Email\nr1,2026-01-05,9,ana@example.com\n", file_name="s.csv", db=db_file)
    [email] = plan.personal
    assert email.stored_as is None and "it is not imported" in email.says


def test_hashed_e_mails_still_link_a_customer_across_files_and_are_stored_nowhere(db_file):
    settings.put(personal.SETTING, {"email": "hash"}, actor=ADMIN, what="rules", db=db_file)
    import_crm(db_file)
    import_file(SURVEY, file_name="survey.csv", db=db_file)
    stored = every_text(db_file)
    assert "ana@example.com" not in stored.lower() and "bo@example.org" not in stored
    con = duckdb.connect(str(db_file), read_only=True)
    linked = con.execute(
        "SELECT r.response_id, c.name FROM responses r JOIN customers c USING (customer_id) ORDER BY 1"
    ).fetchall()
    assert linked == [("r1", "Ana Lima"), ("r2", "Bo Chen")]  # ' Ana@Example.com ' hashed like 'ana@example.com'
    assert con.execute("SELECT min(customer_id) FROM customers").fetchone()[0].startswith("email:")


def test_a_dropped_column_is_not_stored_not_even_in_a_rejected_rows_record(db_file):
    settings.put(personal.SETTING, {"phone": "drop"}, actor=ADMIN, what="rules", db=db_file)
    with_bad_row = CRM + b",No Id,+33 1 23 45 67 89,Gold,Europe\n"  # no customer id: rejected, record kept
    result = import_crm(db_file)
    import_file(with_bad_row, file_name="crm2.csv", db=db_file, kind="customers", mapping={"Customer": "customer_id"})
    stored = every_text(db_file)
    assert "7946" not in stored and "415 555" not in stored and "45 67 89" not in stored
    assert result.imported == 3


def test_an_id_column_whose_rule_says_drop_is_hashed_instead(db_file):
    settings.put(personal.SETTING, {"email": "drop"}, actor=ADMIN, what="rules", db=db_file)
    plan = analyse(CRM, file_name="crm.csv", kind="customers", mapping={"Customer": "customer_id"}, db=db_file)
    assert next(c for c in plan.personal if c.header == "Customer").rule == "hash"


def test_a_viewer_reads_personal_fields_masked_and_an_editor_reads_them_whole(db_file):
    import_crm(db_file)
    import_file(SURVEY, file_name="survey.csv", db=db_file)
    with db.reading(db_file) as backend:
        viewer = scope.restrict(backend, (), mask=True)
        names = sorted(viewer.table("customers").execute()["name"])
        phones = sorted(viewer.table("customer_attributes").execute()["value"])
        ids = set(viewer.table("customers").execute()["customer_id"])
        answered = set(viewer.table("responses").execute()["customer_id"])
        per_customer = metrics.summary(viewer, "nps_customers", JAN).current.n
        editor_names = sorted(backend.table("customers").execute()["name"])
    assert names == ["A. L.", "B. C.", "C. D."] and editor_names == ["Ana Lima", "Bo Chen", "Cy Diaz"]
    assert phones == ["••• 00", "••• 00", "••• 58"]
    assert all(i.startswith("id-") for i in ids) and "ana@example.com" not in str(ids)
    assert len(answered & ids) == 1  # bo@example.org has the same pseudonym in both tables ("Ana@Example.com" ≠ ana@)
    assert per_customer == 2  # the figures do not change under masking


def test_a_kept_kind_is_not_masked_for_viewers(db_file):
    settings.put(personal.SETTING, {"name": "keep"}, actor=ADMIN, what="rules", db=db_file)
    import_crm(db_file)
    with db.reading(db_file) as backend:
        assert "Ana Lima" in set(scope.restrict(backend, (), mask=True).table("customers").execute()["name"])


def test_undoing_an_import_forgets_the_personal_fields_it_brought(db_file):
    result = import_crm(db_file)
    undo_import(result.import_id, db_file)
    assert duckdb.connect(str(db_file), read_only=True).execute("SELECT count(*) FROM personal_fields").fetchone() == (
        0,
    )


def test_changing_the_rules_is_audited_with_before_and_after(db_file):
    settings.put(personal.SETTING, {"email": "hash"}, actor=ADMIN, what="personal data rules: email mask → hash",
                 db=db_file)  # fmt: skip
    [event] = audit.events(db_file, actions=["settings"]).to_dict("records")
    assert event["who"] == "lee@example.com" and '"after": {"email": "hash"}' in event["detail"]
    assert personal.rules(settings.get(personal.SETTING, db=db_file))["email"] == "hash"
