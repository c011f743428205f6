"""Tables of the CX database and their versioned migrations.

Each migration is a list of statements applied once, in order, inside one
transaction; `schema_version` records which have run, so opening a database
any number of times is idempotent.
"""

from __future__ import annotations

from cx.store import rollups

# Surveys we understand and their scales (inclusive). "rating10" is any other 1-10 rating, kept on its own scale
# (a 1-10 "recommend" question is NPS, with 1-6 as detractors).
SURVEY_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating10": (1, 10)}

JOURNEY_STAGES: tuple[str, ...] = ("awareness", "purchase", "onboarding", "usage", "support", "renewal")

# Core columns of `customers`; anything else a file brings goes to `customer_attributes`.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "name",
    "segment",
    "region",
    "plan",
    "signup_date",
    "churn_date",
    "churned",
)
INTERACTION_COLUMNS: tuple[str, ...] = (
    "interaction_id",
    "customer_id",
    "occurred_at",
    "channel",
    "journey_stage",
    "touchpoint",
    "outcome",
    "response_time_s",
    "resolution_time_s",
    "revenue",
)
RESPONSE_COLUMNS: tuple[str, ...] = (
    "response_id",
    "customer_id",
    "responded_at",
    "survey",
    "score",
    "comment",
    "touchpoint",
    "channel",
    "journey_stage",
    "interaction_id",
    "question",
)

# Follow-up queue: an item's status, in workflow order (see cx.store.followups for the allowed moves).
FOLLOWUP_STATUSES: tuple[str, ...] = ("new", "contacted", "resolved", "no_response", "wont_fix")

MIGRATIONS: list[list[str]] = [
    # 1: the data model
    [
        """CREATE TABLE imports (
            import_id    INTEGER PRIMARY KEY,
            file_name    VARCHAR NOT NULL,
            kind         VARCHAR NOT NULL,      -- customers | interactions | responses | demo
            imported_at  TIMESTAMP NOT NULL,
            imported_by  VARCHAR,
            rows         INTEGER NOT NULL,      -- records in the file
            imported     INTEGER NOT NULL,
            duplicates   INTEGER NOT NULL,
            rejected     INTEGER NOT NULL,
            mapping      JSON,                  -- {source column: field}
            status       VARCHAR NOT NULL DEFAULT 'done'  -- done | undone
        )""",
        "CREATE SEQUENCE import_id_seq START 1",
        """CREATE TABLE customers (
            customer_id  VARCHAR PRIMARY KEY,
            name         VARCHAR,
            segment      VARCHAR,
            region       VARCHAR,
            plan         VARCHAR,
            signup_date  DATE,
            churn_date   DATE,
            churned      BOOLEAN NOT NULL DEFAULT FALSE,
            import_id    INTEGER
        )""",
        # Any other column a customers file brings, kept so it can be a filter or a segment.
        """CREATE TABLE customer_attributes (
            customer_id  VARCHAR NOT NULL,
            attribute    VARCHAR NOT NULL,
            value        VARCHAR,
            import_id    INTEGER,
            PRIMARY KEY (customer_id, attribute)
        )""",
        """CREATE TABLE interactions (
            interaction_id     VARCHAR PRIMARY KEY,
            customer_id        VARCHAR,
            occurred_at        TIMESTAMP NOT NULL,
            channel            VARCHAR,
            journey_stage      VARCHAR,
            touchpoint         VARCHAR,
            outcome            VARCHAR,
            response_time_s    DOUBLE,
            resolution_time_s  DOUBLE,
            revenue            DOUBLE,
            import_id          INTEGER
        )""",
        """CREATE TABLE responses (
            response_id     VARCHAR PRIMARY KEY,
            customer_id     VARCHAR,              -- NULL for anonymous surveys
            responded_at    TIMESTAMP NOT NULL,
            survey          VARCHAR NOT NULL CHECK (survey IN ('nps', 'csat', 'ces')),
            score           INTEGER NOT NULL,
            comment         VARCHAR,
            touchpoint      VARCHAR,
            channel         VARCHAR,
            journey_stage   VARCHAR,
            interaction_id  VARCHAR,
            import_id       INTEGER,
            CHECK ((survey = 'nps' AND score BETWEEN 0 AND 10)
                OR (survey = 'csat' AND score BETWEEN 1 AND 5)
                OR (survey = 'ces' AND score BETWEEN 1 AND 7))
        )""",
        # Rows a file brought that could not be stored, kept so nothing the user gave is lost.
        """CREATE TABLE import_rejects (
            import_id  INTEGER NOT NULL,
            row        INTEGER NOT NULL,   -- record number in the file, 1 = first after the header
            "column"   VARCHAR,
            value      VARCHAR,
            reason     VARCHAR NOT NULL,
            record     JSON               -- the whole input record
        )""",
    ],
    # 2: every response keeps the question it answers (the file's header text, unchanged), so two questions on
    # one scale are never pooled; and a 10-point rating scale. DuckDB cannot drop a CHECK, so the table is rebuilt.
    [
        """CREATE TABLE responses_v2 (
            response_id     VARCHAR PRIMARY KEY,
            customer_id     VARCHAR,              -- NULL for anonymous surveys
            responded_at    TIMESTAMP NOT NULL,
            survey          VARCHAR NOT NULL CHECK (survey IN ('nps', 'csat', 'ces', 'rating10')),
            score           INTEGER NOT NULL,
            comment         VARCHAR,
            touchpoint      VARCHAR,
            channel         VARCHAR,
            journey_stage   VARCHAR,
            interaction_id  VARCHAR,
            import_id       INTEGER,
            question        VARCHAR,              -- the question as the file wrote it; NULL when unknown
            CHECK ((survey = 'nps' AND score BETWEEN 0 AND 10)
                OR (survey = 'csat' AND score BETWEEN 1 AND 5)
                OR (survey = 'ces' AND score BETWEEN 1 AND 7)
                OR (survey = 'rating10' AND score BETWEEN 1 AND 10))
        )""",
        """INSERT INTO responses_v2 (response_id, customer_id, responded_at, survey, score, comment, touchpoint, channel,
                                    journey_stage, interaction_id, import_id)
           SELECT response_id, customer_id, responded_at, survey, score, comment, touchpoint, channel, journey_stage,
                  interaction_id, import_id FROM responses""",
        "DROP TABLE responses",
        "ALTER TABLE responses_v2 RENAME TO responses",
    ],
    # 3: the audit trail (cx.store.audit): who did what, when, to how many rows
    [
        "CREATE SEQUENCE audit_id_seq START 1",
        """CREATE TABLE audit_log (
            event_id  BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
            logged_at TIMESTAMP NOT NULL,
            who       VARCHAR NOT NULL,      -- e-mail of the signed-in user, or the operator ($CX_USER, $USER)
            role      VARCHAR,               -- their role at the time: viewer | editor | admin
            action    VARCHAR NOT NULL,      -- cx.store.audit.ACTIONS
            what      VARCHAR,               -- plain words: the file, the import, the export, the setting
            rows      BIGINT,                -- records added, removed or exported
            detail    JSON,
            via       VARCHAR NOT NULL       -- dashboard | cli | api
        )""",
    ],
    # 4: voice of the customer. Filled after every import by cx.ingest.comments; comments themselves
    # stay unchanged in responses.
    [
        # Language, sentiment and the masked, folded text that search reads, per commented response.
        """CREATE TABLE comment_analysis (
            response_id      VARCHAR PRIMARY KEY,
            comment_md5      VARCHAR NOT NULL,     -- re-analysed when the comment changes
            language         VARCHAR NOT NULL,     -- ISO 639-1, or 'unknown'
            sentiment        DOUBLE,               -- -1..1; NULL where no scorer for the language
            sentiment_label  VARCHAR,              -- positive | neutral | negative | NULL
            scorer           VARCHAR,
            search_text      VARCHAR NOT NULL,     -- masked, lower case, accents removed
            analysed_at      TIMESTAMP NOT NULL
        )""",
        # The themes of the latest computation: NMF themes and pinned-rule themes. Rows with the same
        # name are one theme to the reader (that is what a merge is).
        """CREATE TABLE themes (
            theme_id     INTEGER PRIMARY KEY,
            name         VARCHAR NOT NULL,
            source       VARCHAR NOT NULL,      -- model | rule
            keyphrases   VARCHAR NOT NULL,      -- JSON list, YAKE keyphrases (or the rule's keywords)
            terms        VARCHAR NOT NULL,      -- JSON list, top TF-IDF terms: the theme's signature
            comments     INTEGER NOT NULL,
            computed_at  TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE comment_themes (
            response_id  VARCHAR NOT NULL,
            theme_id     INTEGER NOT NULL,
            weight       DOUBLE NOT NULL,       -- the theme's share of the comment (1 for a rule)
            PRIMARY KEY (response_id, theme_id)
        )""",
        # A leader's rename or merge, kept against the theme's top terms so a recomputation keeps it.
        """CREATE TABLE theme_names (
            terms     VARCHAR PRIMARY KEY,     -- JSON list of the theme's top terms when it was named
            name      VARCHAR NOT NULL,
            named_at  TIMESTAMP NOT NULL,
            named_by  VARCHAR
        )""",
        # Pinned keyword rules: comments with any keyword belong to the theme, whatever NMF finds.
        """CREATE TABLE theme_rules (
            name        VARCHAR PRIMARY KEY,
            keywords    VARCHAR NOT NULL,      -- JSON list
            created_at  TIMESTAMP NOT NULL,
            created_by  VARCHAR
        )""",
    ],
    # 5: settings an admin changes in the dashboard (cx.store.settings), and which stored fields hold
    # personal data (found at import, cx.ingest.personal), so screens can mask them for viewers
    [
        """CREATE TABLE settings (
            key         VARCHAR PRIMARY KEY,
            value       JSON NOT NULL,
            changed_at  TIMESTAMP NOT NULL,
            changed_by  VARCHAR
        )""",
        """CREATE TABLE personal_fields (
            field      VARCHAR NOT NULL,   -- a stored field (customer_id, name, segment…) or attr.NAME
            kind       VARCHAR NOT NULL,   -- email | phone | name | identifier
            header     VARCHAR,            -- the file's column it came from
            import_id  INTEGER NOT NULL,
            PRIMARY KEY (field, import_id)
        )""",
    ],
    # 6: undo in seconds. DuckDB keeps a PRIMARY KEY in an ART index, and deleting through one costs about
    # 150 µs a row (a 1M-row undo took minutes while it held the file). Ids stay unique because every
    # import inserts only ids not yet stored, inside the one writer's transaction; import_id needs no index
    # either, as one import's rows are stored together and row-group min/max lets DuckDB skip the rest.
    # import_claims: the records an import also brought that were already stored (a re-import, a
    # customer another file has), so undoing the import that stored them first hands them on, not away.
    [
        """CREATE TABLE customers_v4 (
            customer_id  VARCHAR NOT NULL,
            name         VARCHAR,
            segment      VARCHAR,
            region       VARCHAR,
            plan         VARCHAR,
            signup_date  DATE,
            churn_date   DATE,
            churned      BOOLEAN NOT NULL DEFAULT FALSE,
            import_id    INTEGER
        )""",
        "INSERT INTO customers_v4 SELECT customer_id, name, segment, region, plan, signup_date, churn_date, churned, "
        "import_id FROM customers",
        "DROP TABLE customers",
        "ALTER TABLE customers_v4 RENAME TO customers",
        """CREATE TABLE customer_attributes_v4 (
            customer_id  VARCHAR NOT NULL,
            attribute    VARCHAR NOT NULL,
            value        VARCHAR,
            import_id    INTEGER
        )""",
        "INSERT INTO customer_attributes_v4 SELECT customer_id, attribute, value, import_id FROM customer_attributes",
        "DROP TABLE customer_attributes",
        "ALTER TABLE customer_attributes_v4 RENAME TO customer_attributes",
        """CREATE TABLE interactions_v4 (
            interaction_id     VARCHAR NOT NULL,
            customer_id        VARCHAR,
            occurred_at        TIMESTAMP NOT NULL,
            channel            VARCHAR,
            journey_stage      VARCHAR,
            touchpoint         VARCHAR,
            outcome            VARCHAR,
            response_time_s    DOUBLE,
            resolution_time_s  DOUBLE,
            revenue            DOUBLE,
            import_id          INTEGER
        )""",
        "INSERT INTO interactions_v4 SELECT interaction_id, customer_id, occurred_at, channel, journey_stage, "
        "touchpoint, outcome, response_time_s, resolution_time_s, revenue, import_id FROM interactions",
        "DROP TABLE interactions",
        "ALTER TABLE interactions_v4 RENAME TO interactions",
        """CREATE TABLE responses_v4 (
            response_id     VARCHAR NOT NULL,
            customer_id     VARCHAR,              -- NULL for anonymous surveys
            responded_at    TIMESTAMP NOT NULL,
            survey          VARCHAR NOT NULL CHECK (survey IN ('nps', 'csat', 'ces', 'rating10')),
            score           INTEGER NOT NULL,
            comment         VARCHAR,
            touchpoint      VARCHAR,
            channel         VARCHAR,
            journey_stage   VARCHAR,
            interaction_id  VARCHAR,
            import_id       INTEGER,
            question        VARCHAR,              -- the question as the file wrote it; NULL when unknown
            CHECK ((survey = 'nps' AND score BETWEEN 0 AND 10)
                OR (survey = 'csat' AND score BETWEEN 1 AND 5)
                OR (survey = 'ces' AND score BETWEEN 1 AND 7)
                OR (survey = 'rating10' AND score BETWEEN 1 AND 10))
        )""",
        "INSERT INTO responses_v4 SELECT response_id, customer_id, responded_at, survey, score, comment, touchpoint, "
        "channel, journey_stage, interaction_id, import_id, question FROM responses",
        "DROP TABLE responses",
        "ALTER TABLE responses_v4 RENAME TO responses",
        """CREATE TABLE import_claims (
            import_id   INTEGER NOT NULL,   -- the import that also brought the record
            table_name  VARCHAR NOT NULL,   -- customers | interactions | responses
            record_key  VARCHAR NOT NULL,   -- the record's id in that table
            version     JSON                -- customers: that import's own values and attributes, to hand on
        )""",
    ],
    # 7: a leader's note on a trend ("new billing system live"): a day, a label, who wrote it and when.
    # metric NULL = shown on every metric's charts.
    [
        "CREATE SEQUENCE annotation_id_seq START 1",
        """CREATE TABLE annotations (
            annotation_id  BIGINT PRIMARY KEY DEFAULT nextval('annotation_id_seq'),
            metric         VARCHAR,                -- a metric key (cx.analysis.metrics), NULL = every metric
            day            DATE NOT NULL,
            label          VARCHAR NOT NULL,
            author         VARCHAR NOT NULL,
            created_at     TIMESTAMP NOT NULL
        )""",
    ],
    # 8: mappings a user saved under a name, proposed again for a file with the same headers.
    [
        """CREATE TABLE saved_mappings (
            name         VARCHAR PRIMARY KEY,
            headers_key  VARCHAR NOT NULL,   -- the same for files with the same headers, in any order
            headers      JSON NOT NULL,      -- the headers of the file it was saved from
            mapping      JSON NOT NULL,      -- {source column: field}: the user's own choices
            kind         VARCHAR,
            date_order   VARCHAR,
            saved_at     TIMESTAMP NOT NULL,
            saved_by     VARCHAR
        )""",
    ],
    # 9: saved decks for team reviews: which views (page and its URL parameters, filters included), in which
    # order, and optionally the moment their figures are frozen at (data imported up to then).
    [
        """CREATE TABLE decks (
            name        VARCHAR PRIMARY KEY,
            slides      JSON NOT NULL,          -- [{"page": "pages/1_Trends.py", "params": {"metric": ["csat"]}}]
            as_of       TIMESTAMP,              -- frozen snapshot: only imports up to then; NULL = live data
            created_at  TIMESTAMP NOT NULL,
            updated_at  TIMESTAMP NOT NULL
        )""",
    ],
    # 10: closing the loop. These tables belong to the people following up, not to any import: they have
    # no import_id, so neither an import nor an undo ever touches them (an undone answer's follow-up
    # stays, and shows again if the answer is imported again with the same id).
    [
        """CREATE TABLE followups (
            response_id       VARCHAR PRIMARY KEY,  -- the answer followed up (no foreign key, see above)
            customer_id       VARCHAR,
            status            VARCHAR NOT NULL DEFAULT 'new'
                              CHECK (status IN ('new', 'contacted', 'resolved', 'no_response', 'wont_fix')),
            owner             VARCHAR,
            contact_channel   VARCHAR,
            notes             VARCHAR,
            first_contact_at  TIMESTAMP,            -- first time someone reached out (answered or not)
            closed_at         TIMESTAMP,
            due_at            TIMESTAMP,            -- set by hand; NULL = from the SLA
            version           INTEGER NOT NULL,     -- optimistic concurrency: +1 on every change
            updated_at        TIMESTAMP NOT NULL,
            updated_by        VARCHAR NOT NULL
        )""",
        "CREATE SEQUENCE followup_change_seq START 1",
        # Every change to an item, the SLA or the actions: who, when, the values before and after.
        """CREATE TABLE followup_changes (
            change_id    INTEGER PRIMARY KEY,
            subject      VARCHAR NOT NULL,      -- item | sla | action
            response_id  VARCHAR,               -- the item, for subject = 'item'
            action_id    INTEGER,               -- the action, for subject = 'action'
            version      INTEGER,               -- the item's or setting's version after the change
            changed_at   TIMESTAMP NOT NULL,
            changed_by   VARCHAR NOT NULL,
            before       JSON,
            after        JSON
        )""",
        # The SLA policy (and any later follow-up setting) as JSON, versioned like an item.
        """CREATE TABLE followup_settings (
            name        VARCHAR PRIMARY KEY,
            value       JSON NOT NULL,
            version     INTEGER NOT NULL,
            updated_at  TIMESTAMP NOT NULL,
            updated_by  VARCHAR NOT NULL
        )""",
        "CREATE SEQUENCE followup_action_seq START 1",
        # "You said, we did": what was done about a touchpoint or a theme, and when.
        """CREATE TABLE followup_actions (
            action_id    INTEGER PRIMARY KEY,
            title        VARCHAR NOT NULL,
            taken_on     DATE NOT NULL,
            touchpoint   VARCHAR,
            theme        VARCHAR,
            metric       VARCHAR NOT NULL,      -- the metric its before/after test uses
            description  VARCHAR,
            recorded_at  TIMESTAMP NOT NULL,
            recorded_by  VARCHAR NOT NULL
        )""",
    ],
    # 11: rollups kept at import (cx.store.rollups), built here for the rows a database already holds. A later
    # change to what they count comes as a new migration that rebuilds them, not as an edit of this one.
    rollups.MIGRATION,
    # 12: the journey funnel's rollup: each customer's first interaction at each stage (cx.store.rollups).
    rollups.MIGRATION_STAGES,
]
