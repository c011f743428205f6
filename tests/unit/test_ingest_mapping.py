"""Recognising columns by their usual names and phrasings, and the kind of file they make."""

from __future__ import annotations

import pytest

from cx.ingest import analyse, import_file
from cx.ingest.mapping import ColumnProfile, match_header, normalise
from tests.unit.ingest_helpers import contents


@pytest.mark.parametrize(
    "header", ["Customer ID", "customerID", "Account ID", "CustomerId", "customer_id", " Client Number "]
)
def test_usual_customer_id_headers_map_to_customer_id(header):
    assert match_header(ColumnProfile(0, header)) == "customer_id"


def test_headers_are_normalised_across_case_and_separators():
    assert normalise("customerID") == normalise("Customer_Id") == normalise(" customer id ") == "customer id"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("How likely are you to recommend Acme to a friend or colleague?", "nps_score"),
        ("Satisfaction (1-5)", "csat_score"),
        ("Customer Satisfaction Rating", "csat_score"),
        ("How easy was it to get your issue resolved? (1-7)", "ces_score"),
        ("Customer Effort Score", "ces_score"),
    ],
)
def test_survey_questions_map_to_their_score_when_values_are_numbers(header, field):
    assert match_header(ColumnProfile(0, header, filled=10, numeric=10, integer=10)) == field


def test_a_recommend_question_holding_text_is_not_a_score():
    assert match_header(ColumnProfile(0, "Why would you recommend us?", filled=10, numeric=0)) == "comment"


def test_yes_no_churn_and_0_1_exited_become_churned_and_other_columns_attributes():
    plan = analyse(b"customerID,tenure,Churn\nA,3,Yes\nB,40,No\n", file_name="telco.csv")
    assert plan.kind == "customers"
    assert plan.mapping == {"customerID": "customer_id", "Churn": "churned"}
    assert plan.attributes == ["tenure"]
    assert list(plan.preview["churned"]) == [True, False]
    bank = analyse(b"CustomerId,Geography,Exited\n1,France,1\n2,Spain,0\n", file_name="bank.csv")
    assert bank.mapping == {"CustomerId": "customer_id", "Geography": "region", "Exited": "churned"}


@pytest.mark.parametrize(("header", "field"), [("Plan", "plan"), ("Subscription plan", "plan"), ("Tier", "plan"),
                                              ("Package", "plan"), ("Contract", None), ("Contract type", None)])  # fmt: skip
def test_only_plan_like_headers_map_to_plan(header, field):
    assert match_header(ColumnProfile(0, header, filled=3)) == field


def test_a_contract_column_is_kept_as_a_customer_attribute():
    plan = analyse(b"customerID,Contract,Churn\nA,Month-to-month,Yes\nB,Two year,No\n", file_name="telco.csv")
    assert plan.mapping == {"customerID": "customer_id", "Churn": "churned"}
    assert plan.attributes == ["Contract"]


def test_a_churn_column_that_is_not_a_flag_stays_an_attribute():
    plan = analyse(b"Customer ID,Churn\nA,maybe later\nB,who knows\n", file_name="odd.csv")
    assert plan.attributes == ["Churn"]


def test_help_desk_export_becomes_tickets_with_linked_ratings():
    data = (
        b"Ticket ID,Created,Ticket Type,Ticket Status,Ticket Channel,Customer Satisfaction Rating\n"
        b"1,2024-01-01 09:00,Refund request,Closed,Email,4.0\n2,2024-01-02 10:00,Billing inquiry,Open,Chat,\n"
    )
    plan = analyse(data, file_name="helpdesk.csv")
    assert plan.kind == "interactions+responses"
    assert plan.mapping == {"Ticket ID": "interaction_id", "Created": "occurred_at", "Ticket Type": "touchpoint",
                            "Ticket Status": "outcome", "Ticket Channel": "channel",
                            "Customer Satisfaction Rating": "csat_score"}  # fmt: skip
    assert list(plan.preview["touchpoint"]) == ["Refund request", "Billing inquiry"]


def test_timestamp_durations_are_measured_from_a_creation_time_and_negatives_not_stored():
    data = (
        b"Ticket ID,Created,First Response Time,Time to Resolution\n"
        b"1,2024-01-01 09:00:00,2024-01-01 09:30:00,2024-01-01 10:00:00\n"
        b"2,2024-01-01 09:00:00,2024-01-01 09:30:00,2024-01-01 08:00:00\n"
    )
    plan = analyse(data, file_name="t.csv")
    assert list(plan.preview["response_time_s"]) == [1800.0, 1800.0]
    assert list(plan.preview["resolution_time_s"].fillna(-1)) == [3600.0, -1]  # the ticket stays, its duration not
    assert plan.errors == [] and any(n.code == "before_start" and n.column == "Time to Resolution" for n in plan.notes)


def test_timestamp_durations_without_a_creation_time_are_left_out_with_a_note():
    data = b"Ticket ID,Date of Purchase,First Response Time\n1,2021-03-22,2023-06-01 12:15:36\n"
    plan = analyse(data, file_name="t.csv")
    assert "First Response Time" in plan.unmapped
    assert any("holds timestamps, not durations" in note for note in plan.notes)


def test_a_ticket_file_dated_by_another_date_than_its_creation_says_which_date_it_used():
    data = b"Ticket ID,Date of Purchase,Ticket Status,Customer Satisfaction Rating\n1,2021-03-22,Closed,4\n"
    plan = analyse(data, file_name="tickets.csv")
    assert plan.mapping["Date of Purchase"] == "occurred_at"
    assert any(
        note.startswith('"Date of Purchase" was used as the date of each ticket (occurred_at)') for note in plan.notes
    )
    created = analyse(data.replace(b"Date of Purchase", b"Created at"), file_name="tickets.csv")
    assert not any("was used as the date" in note for note in created.notes)


def test_wide_survey_columns_each_become_responses_at_their_touchpoint_named_by_the_header_unchanged():
    data = (
        b"Respondent,Submitted at,Satisfaction with delivery (1-5),On-board service (1-5)\n"
        b"r1,2024-04-03,5,4\nr2,2024-04-05,,3\n"
    )
    plan = analyse(data, file_name="wide.csv")
    assert plan.kind == "responses"
    assert [(s.survey, s.touchpoint, s.question) for s in plan.scores] == [
        ("csat", "Satisfaction with delivery (1-5)", "Satisfaction with delivery (1-5)"),
        ("csat", "On-board service (1-5)", "On-board service (1-5)"),
    ]


def test_map_overrides_a_guess_and_rejects_unknown_fields():
    plan = analyse(b"Kunde,Datum,Umsatz\nk1,2021-03-22,12\n", file_name="de.csv",
                   mapping={"Kunde": "customer_id", "Umsatz": "revenue"})  # fmt: skip
    assert plan.kind == "interactions"
    assert plan.mapping == {"Kunde": "customer_id", "Datum": "occurred_at", "Umsatz": "revenue"}
    assert "not a field we store" in analyse(b"a,b\n1,2\n", file_name="x.csv", mapping={"a": "colour"}).problems


CUSTOMERS = b"Customer ID,Plan\nK-101,Gold\nK-102,Gold\nK-103,Basic\nK-104,Basic\nK-105,Gold\nK-106,Basic\n"
# "Kennziffer" is no header we know; its values are what tells us it is the customer.
ORDERS = b"Kennziffer,Bestelldatum,Betrag\nK-101,2024-01-05,10\nK-102,2024-01-06,12\nK-103,2024-01-07,9\nK-104,2024-01-08,4\nK-105,2024-01-09,8\nX-999,2024-01-10,3\n"  # fmt: skip


def test_a_column_whose_values_are_known_customer_ids_becomes_the_customer_id(tmp_path):
    db = tmp_path / "cx.duckdb"
    import_file(CUSTOMERS, file_name="customers.csv", db=db)
    before = contents(db)
    plan = analyse(ORDERS, file_name="orders.csv", db=db)
    assert plan.mapping["Kennziffer"] == "customer_id"  # 5 of 6 values (83%) are known
    assert any('"Kennziffer" is read as the customer id' in note for note in plan.notes)
    assert contents(db) == before  # analyse only read the database
    # Without a database to compare with, the column means nothing to us.
    assert "Kennziffer" not in analyse(ORDERS, file_name="orders.csv").mapping
    assert "Kennziffer" not in analyse(ORDERS, file_name="orders.csv", db=tmp_path / "missing.duckdb").mapping
    assert not (tmp_path / "missing.duckdb").exists()


def test_the_command_line_import_recognises_known_customer_ids_too(tmp_path):
    db = tmp_path / "cx.duckdb"
    import_file(CUSTOMERS, file_name="customers.csv", db=db)
    result = import_file(ORDERS, file_name="orders.csv", db=db)
    assert result.mapping["Kennziffer"] == "customer_id"


def test_a_column_with_too_few_or_too_rarely_known_ids_is_not_taken_for_the_customer(tmp_path):
    db = tmp_path / "cx.duckdb"
    import_file(CUSTOMERS, file_name="customers.csv", db=db)
    few = b"Kennziffer,Bestelldatum,Betrag\nK-101,2024-01-05,10\nK-102,2024-01-06,12\nK-103,2024-01-07,9\nK-104,2024-01-08,4\n"  # fmt: skip
    assert "Kennziffer" not in analyse(few, file_name="few.csv", db=db).mapping  # 4 known ids: fewer than 5
    rarely = ORDERS + b"X-1,2024-01-11,1\nX-2,2024-01-12,1\n"  # 5 of 8 known: 62%
    assert "Kennziffer" not in analyse(rarely, file_name="rarely.csv", db=db).mapping
