"""Which column is which: every (column, field) pair scored from its header and its values, then one assignment.

A header is normalised (`customerID`, `Customer Id`, `Código do cliente` all become
plain lower-case words without accents) and scored against each field's synonyms, in
English, Portuguese, Spanish, French and German, and against the wording survey
tools use for NPS, CSAT and CES questions. The values then say whether the column
can hold that field at all: a churn flag must hold yes/no values, a date column
dates, an NPS column whole numbers 0-10. A column that is nearly empty or (for ids,
dates and comments) constant never wins a field.

The best one-to-one assignment of columns to fields is then chosen for the whole
file (`assign`), after the user's own choices, which are fixed first and never
overridden. Rating columns are the exception to one-to-one: a wide survey has one
column per question, each becoming answers of its own question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from cx.ingest.dates import DateFormat

SCORE_FIELDS = {"nps_score": "nps", "csat_score": "csat", "ces_score": "ces", "rating10_score": "rating10"}
SURVEY_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "rating10": "a 10-point rating"}
CUSTOMER_FIELDS = ("customer_id", "name", "segment", "region", "plan", "signup_date", "churn_date", "churned")
INTERACTION_FIELDS = ("interaction_id", "customer_id", "occurred_at", "channel", "journey_stage", "touchpoint", "outcome",
                      "response_time_s", "resolution_time_s", "revenue")  # fmt: skip
RESPONSE_FIELDS = ("response_id", "customer_id", "responded_at", "survey", "score", *SCORE_FIELDS, "comment", "touchpoint",
                   "channel", "journey_stage", "interaction_id")  # fmt: skip
# What --map accepts: the data model's field names, the score columns, and "ignore".
FIELDS = tuple(dict.fromkeys(CUSTOMER_FIELDS + INTERACTION_FIELDS + RESPONSE_FIELDS + ("ignore",)))
KINDS = ("customers", "interactions", "responses")
DATE_FIELDS = ("occurred_at", "responded_at", "signup_date", "churn_date")
KIND_LABELS = {
    "customers": "a customers file",
    "interactions": "an interactions file",
    "responses": "a survey responses file",
    "interactions+responses": "tickets with ratings (interactions and survey responses)",
    "customers+responses": "customers with their survey answers (customers and survey responses)",
}

NEARLY_EMPTY = 0.05  # a column filled in fewer than 5% of the rows never wins a field
MIN_SCORE = 0.3  # below this, a pair is no evidence at all


@dataclass
class ColumnProfile:
    """What a column's values look like, measured over the whole staged file."""

    index: int
    header: str
    filled: int = 0
    distinct: int = 0
    numeric: int = 0
    integer: int = 0
    flags: int = 0  # yes/no, true/false, 0/1, y/n
    leading_zero: int = 0
    minimum: float | None = None
    maximum: float | None = None
    date: DateFormat | None = None
    decimal_comma: bool = False
    rows: int = 0  # rows of the file
    mean_length: float = 0.0  # of the text values
    histogram: dict[int, int] = field(default_factory=dict)  # whole numbers -1..10 -> count, for rating columns
    samples: list[str] = field(default_factory=list)  # three raw values, for the page and messages

    def mostly(self, count: int) -> bool:
        return self.filled > 0 and count >= 0.95 * self.filled

    @property
    def nearly_empty(self) -> bool:
        return self.rows > 0 and self.filled < max(1, NEARLY_EMPTY * self.rows)

    @property
    def constant(self) -> bool:
        return self.filled >= 3 and self.distinct == 1

    @property
    def whole_numbers(self) -> bool:
        return self.mostly(self.numeric) and self.integer >= 0.98 * self.numeric


def normalise(header: str) -> str:
    """`customerID` / `Customer_Id` / ` Código do Cliente ` -> "customer id" / "codigo do cliente"."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", header)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    plain = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


# --- the vocabulary ------------------------------------------------------------------------------
# field -> [(pattern on the normalised header, strength)]. "date" and "id" are the file's event date
# and row id, resolved by the kind of file: signup_date / occurred_at / responded_at, and so on.
_ID = r"(id|ids|number|no|nr|num|code|key|ref|nummer|numero|codigo|identifiant|identificador|kennung)"
_CUSTOMER = r"(customer|client|clients|account|user|member|cust|subscriber|buyer|shopper|contact|student|patient|guest|kunde|kunden|cliente|usuario|utilisateur|nutzer|abonne|assinante|socio|passenger|consumer)"
_EVENT = r"(ticket|case|interaction|conversation|call|chat|incident|order|transaction|session|visit|request|service request|sr|pedido|bestellung|commande|vorgang|chamado|caso|appel|anruf|llamada|auftrag|encomenda|atendimento|demande)"
_RESPONSE = r"(response|respondent|survey response|submission|review|feedback|answer|antwort|respuesta|reponse|resposta|avaliacao|bewertung|avis|resena)"

VOCABULARY: dict[str, list[tuple[str, float]]] = {
    "customer_id": [
        (
            rf"^{_CUSTOMER} ?{_ID}$|^{_ID} {_CUSTOMER}$|^{_ID} (do|de|du|del) {_CUSTOMER}$|^(kundennummer|kundenid|customer unique id)$",
            1.0,
        ),
        (rf"^{_CUSTOMER}$|^{_CUSTOMER} (unique )?(id|identifier)$", 0.8),
    ],
    "interaction_id": [
        (rf"^{_EVENT} ?{_ID}$|^{_ID} (do|de|du|del) {_EVENT}$|^sr ?number$", 1.0),
        (rf"^{_EVENT}$", 0.6),
    ],
    "response_id": [(rf"^{_RESPONSE} ?{_ID}$|^{_ID} (da|de|du|del) {_RESPONSE}$", 1.0), (r"^respondent$", 0.8)],
    "id": [(r"^(id|uuid|guid|key|record id|unique id|row id|identifier|identificador|kennung)$", 0.6)],
    "name": [
        (
            r"^((customer|client|account|full|company|contact) )?name$|^(surname|last name|first name|nome|nombre|nom|nachname|vorname|sobrenome|apellido)$",
            0.8,
        ),
        (rf"^{_CUSTOMER} name$", 1.0),
    ],
    "segment": [
        (
            r"\bsegment\w*\b|^(customer type|customer tier|customer class|segmento|kundensegment|kundentyp|tipo de cliente|type de client)$",
            0.9,
        )
    ],
    "region": [
        (
            r"^(region|country|geography|territory|market|location|state|area|sales region|country code|pais|pays|land|bundesland|estado|provincia|regiao|regione|province|city|cidade|ciudad|ville|stadt)$",
            0.9,
        ),
        (r"\b(region|country|pais|pays)\b", 0.5),
    ],
    # Only what names a plan: a "Contract" (month-to-month, one year) is a term, kept as an attribute to segment by.
    "plan": [
        (
            r"^(plan|plan type|plan name|subscription|subscription plan|subscription type|pricing plan|package|tier|plano|tarif|tarifa|abo|abonnement|forfait|paquete)$",
            0.9,
        )
    ],
    "signup_date": [
        (
            r"sign ?up|customer since|member since|join(ed)? (date|on)|date joined|(?<!un)(?<!de)registration|(?<!un)(?<!de)registered|account created|onboard\w* date|acquisition date|start date|enrol\w*|inscri\w*|cadastro|anmeld\w*|registrier\w*|fecha (de )?alta|data de adesao|date d adhesion",
            0.9,
        ),
    ],
    "churn_date": [
        (
            r"churn(ed)? (date|on|at)|cancel\w* (date|on|at)|termination|end date|unregist\w*|deregist\w*|withdraw\w*|unsubscri\w*|left on|date (of )?(churn|cancellation|exit)|kundigung\w*|fecha (de )?baja|data (de )?cancelamento|resiliation|abmeld\w*",
            0.9,
        ),
    ],
    "churned": [
        (
            r"^(churn|churned|exited|exit|attrition|attrited|attrition flag|cancelled|canceled|is churned|has churned|churn flag|churn label|churn value|churn status|left|abgewandert|gekundigt|cancelado|baja|resilie|churned customer)$",
            1.0,
        ),
    ],
    "responded_at": [
        (
            r"(response|survey|submission|feedback|completion|answer|review|resposta|respuesta|reponse) (date|timestamp)|(survey|submission|feedback|completion|answer|review) time|(submitted|completed|responded|answered|reviewed) (at|on|date)|^(submitted|completed|recorded date|submit date|end date time|answer timestamp|review answer timestamp)$",
            0.9,
        ),
    ],
    "date": [
        (
            r"^(date|timestamp|time|datetime|date time|created|opened|created at|created on|created date|creation date|event date|event time|occurred at|fecha|datum|data|date de creation|erstellt|erstellt am|criado em|data de criacao|fecha de creacion|horodatage|marca temporal|carimbo de data hora|zeitstempel)$",
            0.9,
        ),
        (
            r"(order|purchase|interaction|event|contact|call|visit|transaction|ticket|opened|created|creation|review) (date|time|at|on|timestamp)|date of (purchase|order|contact|visit|creation)|^(call|visit|order) (date|time)|data d[oa] pedido|fecha (del )?pedido|bestelldatum|date de commande",
            0.7,
        ),
    ],
    "response_time_s": [
        (
            r"\b(first )?(response|reply) time\b|time to (first )?(response|reply)|^first (response|reply)\b|\bfrt\b|tempo de (primeira )?resposta|tiempo de (primera )?respuesta|antwortzeit|reaktionszeit|delai de reponse",
            0.9,
        ),
    ],
    "resolution_time_s": [
        (
            r"\bresolution time\b|time to (resolution|resolve)|\bresolve time|handl\w* time|\baht\b|^duration\b|^call duration|tempo de resolucao|tiempo de resolucion|losungszeit|bearbeitungszeit|delai de resolution",
            0.9,
        ),
        (
            r"^(closed|close|closing|resolved|solved|completed) (date|at|on|time|timestamp)$|^date (closed|resolved)$|fecha (de )?cierre|data de fechamento|abschlussdatum|date de cloture|^closed$|^resolved$",
            0.7,
        ),
    ],
    "survey": [(r"^(survey|survey type|survey name|metric|questionnaire|umfrage|encuesta|pesquisa|enquete)$", 0.9)],
    "channel": [
        (
            r"\bchannel\b|^(source|medium|via|contact method|contact type|request source|origin|canal|kanal|origem|origen|quelle|source channel)$",
            0.9,
        ),
    ],
    "journey_stage": [(r"\bjourney\b|^(stage|lifecycle stage|lifecycle|etapa|phase|fase|lebenszyklus)$", 0.9)],
    "touchpoint": [
        (
            r"touch ?point|^(ticket type|ticket category|category|topic|contact reason|reason for contact|issue type|case type|request type|categoria|kategorie|motivo|assunto|grund|thema|categorie|tipo de solicitud|tipo de chamado|subcategory)$",
            0.9,
        ),
    ],
    "outcome": [
        (
            r"^(outcome|status|ticket status|case status|result|disposition|resolution status|request status|resultado|ergebnis|resultat|situacao|situacion|statut)$",
            0.9,
        ),
    ],
    "revenue": [
        (
            r"^(revenue|amount|value|order value|sales|spend|total|price|order total|purchase amount|amount spent|total amount|sale amount|net sales|order amount|umsatz|betrag|valor|importe|montant|prix|preco|receita|ingresos|chiffre d affaires|payment value|valor total|valor do pedido|gesamtbetrag)$",
            0.9,
        ),
    ],
    "comment": [
        (
            r"comment|feedback|verbatim|^why\b|reason for (your |the )?(score|rating)|open text|^remarks?$|^suggestions?$|what could we|anything else|tell us|review text|reviews?$|verified reviews|review (comment )?message|message$|kommentar|comentario|commentaire|mensagem|mensaje|anmerkung|bemerkung|observac\w*|sugest\w*|^texto$|^text$|^body$",
            0.9,
        ),
        # The open questions of a survey form: what a respondent liked, would improve, or wants to add.
        (
            r"what (do|did) you (like|dislike|love|enjoy)|\blike (best|least|most)\b|what (could|can|should|would) (we|be) (do|done|improve)|how (could|can) we improve|please (explain|describe|tell us|share)|why did you|any other (comments?|thoughts|suggestions)"
            # ... and in the other languages we read: "Por que você deu essa nota?", "¿Qué podemos mejorar?"
            r"|^(por que|porque|pourquoi|warum|perche|waarom)\b|motivo d[ae] (sua |tu )?(nota|pontuacao|puntuacion)"
            r"|(o que|que|como) (podemos|poderiamos|podriamos|pouvons nous) (melhorar|mejorar|ameliorer)"
            r"|was (konnen|sollten|konnten) wir (besser|verbessern)|raison de votre (note|score)",
            0.8,
        ),
        (r"review (comment )?title|titulo|^title$|^subject$", 0.4),
    ],
    "score": [
        (r"^(score|rating|stars|overall rating|customer rating|value|answer|nota|note|wert|puntuacion|valor)$", 0.8)
    ],
}

# --- ratings: which columns are survey answers, and on which scale -------------------------------
_NPS_WORDS = re.compile(
    r"recommend|recomend|recommand|empfehl|weiterempfehl|\bnps\b|net promoter|promoter score|\bltr\b"
)
_CSAT_WORDS = re.compile(r"satisf|zufried|contento|enjoy|happy|pleased|csat|gefall|gusta|aime|experience")
_CES_WORDS = re.compile(r"\bces\b|effort|\beas(y|e|ier|ily)\b|einfach|facil|facile|esfuerzo|aufwand|esforco")
_REVERSED = re.compile(r"difficult|\bhard\b|schwierig|dificil|difficile|frustrat")
_RATING_WORDS = re.compile(
    r"\b(rate|rating|ratings|rated|score|scores|stars?|grade|nota|note|notas|bewertung|wert|puntuacion|calificacion|"
    r"valoracion|avaliacao|evaluation|estrelas|estrellas|sterne|etoiles|scale|escala|echelle|skala)\b|how (likely|satisfied|easy|happy|would you rate)|on a scale"
)
_COUNTER_WORDS = re.compile(
    r"\b(count|counts|number of|num|qty|qtd|quantidade|quantity|cantidad|anzahl|nombre de|how many|total|sum|age|idade|edad|year|years|"
    r"tenure|months?|weeks?|days?|hours?|minutes?|seconds?|duration|delay|distance|price|amount|id|code|zip|postal|version|rank|"
    r"position|page|size|children|products|items|units|orders|quantite|menge|anzahl)\b"
)
_EXPLICIT = re.compile(r"\b(csat|nps|ces)\b|net promoter|customer effort score|customer satisfaction score")
_STATED_SCALE = re.compile(r"\b(0|1)\s*(?:-|–|to|a|bis|a|à|ate|hasta)\s*(5|7|10)\b")
_ZERO_IS_NO_ANSWER = re.compile(
    r"\b0\s*(=|:|means|is)\s*(n\s*/?\s*a|no answer|not applicable|none|skipped|don.?t know|unknown)", re.I
)


@dataclass(frozen=True)
class Scale:
    """How a rating column is stored: the survey, its scale, the values that mean "not applicable", and why."""

    survey: str  # nps | csat | ces | rating10
    low: int
    high: int
    not_applicable: tuple[int, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Refusal:
    """A column that looks like a rating but that we will not guess: the note says why and what to do."""

    reason: str


def zero_means_no_answer(header: str) -> bool:
    """Whether the header says a 0 is "no answer" (`Satisfaction (1-5, 0 = N/A)`)."""
    return bool(_ZERO_IS_NO_ANSWER.search(header))


def _values_text(p: ColumnProfile) -> str:
    low, high = int(p.minimum or 0), int(p.maximum or 0)
    return f"values {low}–{high}" if low != high else f"the value {low}"


def rating_scale(p: ColumnProfile, battery: int | None = None) -> Scale | Refusal | None:
    """The scale of a rating column from its header and values; None when it is not a rating at all.

    `battery`: the top of the scale the column shares with the ratings beside it (a wide survey).
    Survey words in the header (recommend, satisfied, effort) set the scale and the values confirm it;
    without them, only a column whose values use its whole scale is read as a rating."""
    words = normalise(p.header)
    nps, csat, ces = bool(_NPS_WORDS.search(words)), bool(_CSAT_WORDS.search(words)), bool(_CES_WORDS.search(words))
    rated = bool(_RATING_WORDS.search(words))
    stated = _STATED_SCALE.search(p.header.lower())
    if not (rated or nps or csat or ces or battery or stated):
        return None
    if _COUNTER_WORDS.search(words) and not rated:
        return None  # "qtd_satisfeitos", "How many people…": counts, not ratings
    if p.nearly_empty or not p.whole_numbers or p.minimum is None or p.minimum < 0:
        return None
    if _REVERSED.search(words):
        return Refusal(
            f"asks how difficult something is ({_values_text(p)}), the reverse of an effort score; it is not stored"
        )
    low, high = int(p.minimum), max(int(p.maximum or 0), battery or 0)
    said = (
        f'the header ("{_shorten(p.header)}")'
        if not battery or rated or nps or csat or ces
        else "the rating columns beside it"
    )
    na = (0,) if zero_means_no_answer(p.header) else ()
    full_na = low == 0 and sum(1 for v in range(1, 6) if p.histogram.get(v)) >= 3  # 0 beside 1-5: not applicable
    answers = sum(p.histogram.values())
    # In a wide survey every column is answered on the form's one scale, whatever its header's words
    # ("Ease of Online booking" among 0-5 ratings is one of them, not a CES question).
    by_values = bool(battery) and not stated
    if stated:
        scale = (int(stated.group(1)), int(stated.group(2)))
    elif (nps or csat or ces) and not by_values:
        # The header's survey sets the scale. Only plenty of answers on another scale overrule it
        # ("How satisfied…" answered 1-10 is a 10-point rating); a few stray values are rejected row by row.
        explicit = bool(_EXPLICIT.search(words))
        plenty = p.filled >= 20 and not explicit
        home = (0, 10) if nps else (1, 5) if csat else (1, 7)
        inside = sum(c for v, c in p.histogram.items() if home[0] <= v <= home[1] or (v == 0 and (na or full_na)))
        elsewhere = plenty and (high > home[1] or low < home[0] and not full_na) and answers - inside > 0.05 * answers
        if nps:
            # Answers up to 7 on a 1-5 or 1-7 scale, or up to 5 from 0 (a 0-5 rating), are another scale;
            # 0 to 7 is NPS with nobody at 8-10 (a bad month), not a 0-7 question.
            if plenty and (high <= 5 or high <= 7 and low >= 1):
                return Refusal(
                    f"asks about recommending, but its {_values_text(p)} are not on the 0–10 NPS scale; choose the field to store it"
                )
            scale = (0, 10) if low == 0 or high > 10 or high < 8 else (1, 10)
        elif csat and elsewhere:
            if high > 10 or high in (6, 7) or low == 0:
                return Refusal(
                    f"asks about satisfaction, but its {_values_text(p)} are not on the 1–5 CSAT scale; choose the field to store it"
                )
            scale = (1, 10)
        elif csat:
            scale, na = (1, 5), na or ((0,) if full_na else ())
        elif (plenty and high <= 5) or elsewhere:
            return Refusal(
                f"asks about effort, but its {_values_text(p)} are not on the 1–7 CES scale; choose the field to store it"
            )
        else:
            scale = (1, 7)
    elif high > 10:
        return None
    elif high == 10 or (high >= 8 and low == 0):
        scale = (0, 10) if low == 0 else (1, 10)
    elif high in (6, 7) and low >= 1:
        scale = (1, 7)
    elif high == 5 and low >= 1:
        scale = (1, 5)
    elif high == 5 and full_na:
        scale, na = (1, 5), (0,)
    else:
        if nps or csat or ces:
            return Refusal(
                f"looks like a rating but its {_values_text(p)} do not show its scale; choose the field to store it"
            )
        return None
    if scale == (0, 5):
        scale, na = (1, 5), (0,)
    values = _values_text(p) + (", 0 = not applicable" if na else "")
    if by_values:
        nps, csat, ces = nps and scale == (1, 10), False, False
    if scale == (0, 10):
        if (csat or ces) and not nps:
            return Refusal(
                "is a 0–10 scale, but its header asks about satisfaction or effort, not recommending; choose the field to store it"
            )
        return Scale("nps", 0, 10, na, f"NPS 0–10 from {said} and {values}")
    if scale == (1, 10):
        if nps:
            return Scale("nps", 0, 10, na, f"NPS from {said} and {values}; 1–6 count as detractors, as on 0–10")
        return Scale("rating10", 1, 10, na, f"a 10-point rating (1–10) from {said} and {values}; kept on its own scale")
    if scale == (1, 5):
        if (nps or ces) and not csat:
            what = "recommending" if nps else "effort"
            return Refusal(
                f"asks about {what} on a 1–5 scale, which is neither NPS (0–10) nor CES (1–7); choose the field to store it"
            )
        return Scale("csat", 1, 5, na, f"CSAT 1–5 from {said} and {values}")
    if scale == (1, 7):
        if (nps or csat) and not ces:
            return Refusal(
                "is a 1–7 scale, but its header asks about satisfaction or recommending, not effort; choose the field to store it"
            )
        return Scale("ces", 1, 7, na, f"CES 1–7 from {said} and {values}")
    return None


def battery_columns(profiles: Iterable[ColumnProfile]) -> dict[int, int]:
    """Columns that form a wide survey by their values alone -> the top of their shared scale.

    Three or more columns of small whole numbers whose values fit one scale (up to 5, 7 or 10), at
    least one of them reaching its top: the ratings of one form, one column per touchpoint."""
    groups: dict[int, list[ColumnProfile]] = {}
    for p in profiles:
        if (
            p.nearly_empty
            or not p.whole_numbers
            or p.minimum is None
            or p.minimum < 0
            or _COUNTER_WORDS.search(normalise(p.header))
        ):
            continue
        high = int(p.maximum or 0)
        top = next((t for t in (5, 7, 10) if high <= t), None)
        if top and high >= 3 and int(p.minimum) <= 1 and len([v for v in p.histogram if v >= 1]) >= 3:
            groups.setdefault(top, []).append(p)
    return {
        p.index: top
        for top, members in groups.items()
        if len(members) >= 3 and any(int(p.maximum) == top for p in members)
        for p in members
    }


def values_suggest(p: ColumnProfile) -> str | None:
    """The rating field a column's values alone would fit, for a person to confirm with one click.

    Never applied by itself: "Q7" holding 1-5 may be a satisfaction score or a count of products.
    The values must use at least three points of one scale and reach its top or bottom."""
    if p.nearly_empty or not p.whole_numbers or p.minimum is None or p.maximum is None:
        return None
    low, high, points = int(p.minimum), int(p.maximum), len(p.histogram)
    if points < 3:
        return None
    if low == 0 and 6 <= high <= 10:
        return "nps_score"
    if low >= 1 and high <= 5 and (low == 1 or high == 5):
        return "csat_score"
    if low >= 1 and high in (6, 7):
        return "ces_score"
    return None


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# --- value fits ----------------------------------------------------------------------------------
_ID_FIELDS = ("customer_id", "interaction_id", "response_id", "id")
_CATEGORIES = ("segment", "region", "plan", "channel", "journey_stage", "touchpoint", "outcome")
SURVEY_VALUE = re.compile(r"nps|promoter|csat|satisf|ces|effort", re.I)


def fit(field_name: str, p: ColumnProfile, unique: float | None = None) -> float:
    """How well the values can hold the field, 0 (cannot) to 1. `unique`: distinct values ÷ filled rows."""
    if p.nearly_empty:
        return 0.0
    numeric, dated = p.mostly(p.numeric), p.date is not None and p.date.share >= 0.5
    if field_name in _ID_FIELDS:
        if dated or p.constant or (numeric and p.integer < 0.98 * p.numeric) or p.mean_length > 64:
            return 0.0
        if field_name != "customer_id" and unique is not None and unique < 0.9:
            return 0.0  # an id that repeats is not the row's id: the rows are finer than it (order lines)
        if field_name != "customer_id" and p.rows and p.filled < 0.95 * p.rows:
            return 0.0  # every row needs its id: a column blank in many rows is something else
        return 1.0
    if field_name in DATE_FIELDS or field_name == "date":
        if not dated:
            return 0.0  # a constant date is fine: a survey sent on one day
        return 1.0 if p.date.share >= 0.8 else 0.7
    # Most values numbers is enough for a measure: the others become rejected rows with their reasons,
    # and the column is never dropped whole for some bad values.
    measured = p.filled > 0 and p.numeric >= 0.5 * p.filled
    if field_name in ("response_time_s", "resolution_time_s"):
        return 1.0 if measured else 0.9 if dated else 0.0
    if field_name == "churned":
        return 1.0 if p.mostly(p.flags) and p.distinct <= 2 else 0.0
    if field_name == "revenue":
        return 1.0 if measured else 0.0
    if field_name in _CATEGORIES or field_name == "name":
        if numeric or dated:
            return 0.0
        free_text = p.filled > 50 and p.distinct > max(50, 0.5 * p.filled)
        return 0.4 if free_text and field_name != "name" else 1.0
    if field_name == "survey":
        return 1.0 if not numeric else 0.0
    if field_name == "comment":
        if numeric or dated or p.constant:
            return 0.0
        if p.filled >= 50 and p.distinct <= 12:
            return 0.0  # a handful of answers repeated: a multiple-choice question, not a comment
        return 1.0 if p.mean_length >= 12 else 0.6
    if field_name == "score":
        return 1.0 if p.whole_numbers and (p.maximum or 0) <= 10 and (p.minimum or 0) >= 0 else 0.0
    return 0.0


def header_score(field_name: str, header: str) -> float:
    words = normalise(header)
    return max(
        (strength for pattern, strength in VOCABULARY.get(field_name, ()) if re.search(pattern, words)), default=0.0
    )


def match_header(profile: ColumnProfile) -> str | None:
    """The field whose synonyms the header matches best and whose values fit, if any (no assignment)."""
    best, best_score = None, MIN_SCORE
    for name in VOCABULARY:
        score = header_score(name, profile.header) * (fit(name, profile) if profile.filled else 1.0)
        if score > best_score:
            best, best_score = name, score
    if best is None and profile.filled and isinstance(decided := rating_scale(profile), Scale):
        return f"{decided.survey}_score"
    words = normalise(profile.header)
    if best is None and profile.mostly(profile.numeric) and profile.minimum is None:  # values not measured
        for pattern, name in ((_NPS_WORDS, "nps_score"), (_CES_WORDS, "ces_score"), (_CSAT_WORDS, "csat_score")):
            if pattern.search(words):
                return name
    return best


# --- the assignment ------------------------------------------------------------------------------


def best_assignment(scores: list[list[float]]) -> dict[int, int]:
    """Row -> column maximising the total score, each row and column used at most once (Hungarian method).

    Only pairs with a positive score are returned."""
    rows = len(scores)
    cols = len(scores[0]) if rows else 0
    if not rows or not cols:
        return {}
    size = max(rows, cols)
    top = max(max(r) for r in scores) or 1.0
    # Minimise cost = top - score on a square matrix padded with "no field" pairs.
    cost = [[(top - scores[r][c]) if r < rows and c < cols else top for c in range(size)] for r in range(size)]
    u, v, p, way = [0.0] * (size + 1), [0.0] * (size + 1), [0] * (size + 1), [0] * (size + 1)
    for r in range(1, size + 1):
        p[0], c0 = r, 0
        minv, used = [float("inf")] * (size + 1), [False] * (size + 1)
        while True:
            used[c0] = True
            r0, delta, c1 = p[c0], float("inf"), 0
            for c in range(1, size + 1):
                if not used[c]:
                    current = cost[r0 - 1][c - 1] - u[r0] - v[c]
                    if current < minv[c]:
                        minv[c], way[c] = current, c0
                    if minv[c] < delta:
                        delta, c1 = minv[c], c
            for c in range(size + 1):
                if used[c]:
                    u[p[c]] += delta
                    v[c] -= delta
                else:
                    minv[c] -= delta
            c0 = c1
            if p[c0] == 0:
                break
        while c0:
            c1 = way[c0]
            p[c0] = p[c1]
            c0 = c1
    chosen = {p[c] - 1: c - 1 for c in range(1, size + 1) if p[c]}
    return {r: c for r, c in chosen.items() if r < rows and c < cols and scores[r][c] > 0}


def duration_factor(header: str) -> float | None:
    """Seconds per unit when the header names the unit (`First response (minutes)` -> 60)."""
    words = normalise(header)
    for pattern, factor in _UNITS:
        if re.search(pattern, words):
            return factor
    return None


_UNITS = ((r"\b(ms|millis\w*)\b", 0.001), (r"\b(s|sec|secs|second|seconds|segundos|sekunden)\b", 1.0),
          (r"\b(m|min|mins|minute|minutes|minutos|minuten)\b", 60.0), (r"\b(h|hr|hrs|hour|hours|horas|stunden|heures)\b", 3600.0),
          (r"\b(d|day|days|dias|tage|jours)\b", 86400.0))  # fmt: skip


def fields_for(kind: str) -> set[str]:
    """The fields a kind of file can fill; anything else is unmapped (kept as an attribute for customers)."""
    allowed = set()
    for part in kind.split("+"):
        allowed |= set(
            {"customers": CUSTOMER_FIELDS, "interactions": INTERACTION_FIELDS, "responses": RESPONSE_FIELDS}[part]
        )
    if kind == "interactions+responses":
        allowed -= {"response_id"}
    return allowed | {"ignore"}
