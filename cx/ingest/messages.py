"""Every sentence the import says to a user, in one place: short, specific, and with the fix.

Each names the file, the column and the row where there is one, what was found, and what to do.
`say(key, **values)` fills a template; a test walks every template, so a new one cannot slip in
ungrammatical ("a interactions file", "has no a date column").
"""

from __future__ import annotations

TEMPLATES: dict[str, str] = {
    # The file cannot be imported as it is.
    "no_fields": (
        'No column of "{file}" matches a field we store (its columns: {columns}). Choose a field for the columns that '
        'matter in the mapping table, or on the command line with --map "Column=field".'
    ),
    "missing": (
        '"{file}" reads as {kind}, but no column holds {needs}. Choose that column in the mapping table, or on the '
        'command line with --map "Column={field}".'
    ),
    "unknown_column": 'The file "{file}" has no column "{column}"; its columns are: {columns}.',
    "unknown_field": '"{field}" is not a field we store; use one of: {fields}.',
    "unknown_kind": 'Unknown kind "{kind}": use one of {kinds}.',
    "one_column_per_field": (
        'Both "{first}" and "{second}" are mapped to {field}, which takes one column; map one of them to another '
        "field or to ignore."
    ),
    "map_syntax": '--map needs "Source column=field", got "{pair}".',
    "unknown_saved": 'There is no saved mapping "{name}"; saved mappings are: {names}.',
    "ambiguous_dates": (
        'The dates in {columns} of "{file}" fit both month/day/year and day/month/year (no day is above 12, '
        'e.g. "{example}"). Say which: --date-order mdy or --date-order dmy, or choose on the Data page.'
    ),
    "unreadable_dates": (
        'Column "{column}" of "{file}" was chosen as {field}, but none of its values reads as a date. Three of them: '
        "{samples}. Formats tried: {formats}. Choose another column for {field}, or correct the file."
    ),
    "strict": ('--strict: {rows} of "{file}" cannot be imported, so nothing was imported. First: {first}'),
    "all_rejected": 'None of the {rows} rows of "{file}" can be imported. First: {first}',
    "unconfirmed": (
        '"{file}" was not imported, so that you can look first: {warnings} If the figures are right, import again '
        "with --accept-warnings (on the Data page: tick the confirmation)."
    ),
    # Notes: what the plan decided and why.
    "file_date": (
        'No column of "{file}" says when each {thing} happened, so every {thing} is dated {date} ({source}). '
        "Set another date with --date YYYY-MM-DD, or on the Data page."
    ),
    "displaced": '"{column}" was the guess for {field}, but you chose "{chosen}" for it, so "{column}" is {now}.',
    "grain": (
        '"{column}" repeats ({ids} different values on {rows} rows), so each row is {thing}, not a customer: '
        "the file is read as {kind}."
    ),
    "composite": (
        '"{column}" repeats ({ids} different values on {rows} rows), but together with {others} it is unique: '
        'each row is one customer record, stored under an id like "{example}".'
    ),
    "churn_filled": (
        '"{column}" holds day numbers ({low} to {high}), not calendar dates: a filled value is read as churned '
        '({churned} of {rows} rows), and the numbers are kept as the attribute "{column}".'
    ),
    "day_numbers": (
        '"{column}" holds numbers ({low} to {high}), not calendar dates, so it is kept as the attribute '
        '"{column}" rather than as {field}.'
    ),
    "questions": (
        "{count} questions on the {survey} scale are kept apart, never pooled: {listing}. Figures for {survey} use "
        '"{headline}", the one with the most answers; choose another with the question filter (--where question="…").'
    ),
    "refused_rating": '"{column}" {reason}.',
    "ticket_date": (
        '"{column}" was used as the date of each ticket (occurred_at) and of its rating; if another column says when '
        "the ticket was opened, map that one to occurred_at."
    ),
    "timestamps_since": '"{column}" holds timestamps; it is stored as the seconds from "{start}" to it.',
    "before_start": (
        'Rows with "{column}" earlier than "{start}" are imported without that duration, which cannot be measured: '
        "{rows} (first: row {row})."
    ),
    "timestamps_dropped": (
        '"{column}" holds timestamps, not durations, and the file has no ticket creation time to measure from{detail}; '
        "it was not stored."
    ),
    "no_unit": '"{column}" does not name its unit, so it is read as seconds; add the unit to the header if not.',
    "known_ids": '"{column}" is read as the customer id: {share} of its values are customer ids already stored.',
    "email_unmapped": (
        'The e-mail column "{column}" was left unmapped (personal data); map it to customer_id to link the tickets '
        "to their customers."
    ),
    "saved_mapping": 'The saved mapping "{name}" fits these headers, so it was applied.',
    "not_applicable": (
        '{count} answers in "{column}" are 0, which beside 1–5 means "not applicable": those answers are left out, '
        "and the rest of each row is kept."
    ),
    "no_answer_rows": "{count} of {rows} rows answer none of the rating questions; they are listed as rejected, not stored.",
    # Plausibility: a figure that needs a look before it is stored.
    "few_rows": (
        '"{column}" is filled in {filled} of the rows, but only {kept} of the rows become {survey} answers; check that '
        "it is the {survey} column."
    ),
    "extreme": (
        '"{column}" gives {figure}, the very end of the scale; check that it is the {survey} column and that its '
        "values mean what {survey} assumes."
    ),
}


def say(key: str, **values: object) -> str:
    """The template `key` filled with `values` (numbers formatted by the caller)."""
    return TEMPLATES[key].format(**values)


def quoted_list(items: list[str], limit: int = 6) -> str:
    """`"a", "b" and "c"`, shortened with "and 3 more" past `limit`."""
    shown = [f'"{item}"' for item in items[:limit]]
    if len(items) > limit:
        return ", ".join(shown) + f" and {len(items) - limit} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]
