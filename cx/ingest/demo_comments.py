"""Generated survey comments with planted themes, in English and Portuguese.

For the benchmark (10k distinct comments), the tests (are the planted themes found? does the billing
theme cost NPS?) and the demo's second language. Each comment is built from a theme's phrases plus
neutral filler, so no two need be alike, and carries a score in tune with its theme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PlantedTheme:
    name: str
    keywords: tuple[str, ...]  # words that should surface among the theme's top terms
    phrases_en: tuple[str, ...]
    phrases_pt: tuple[str, ...]
    nps_scores: tuple[int, ...]  # scores drawn for comments of this theme


PLANTED_THEMES: tuple[PlantedTheme, ...] = (
    PlantedTheme(
        "billing",
        ("charged", "refund", "invoice", "cobrado", "reembolso", "fatura"),
        (
            "I was charged twice this month",
            "still waiting for my refund",
            "the invoice was wrong again",
            "billing charged me for a plan I cancelled",
            "the refund took weeks and the invoice is still wrong",
        ),
        (
            "fui cobrado duas vezes este mês",
            "ainda espero o reembolso",
            "a fatura veio errada de novo",
            "a cobrança veio em dobro na fatura",
            "o reembolso demorou semanas",
        ),
        (0, 1, 2, 3, 4, 5, 6, 6, 7),
    ),
    PlantedTheme(
        "delivery",
        ("delivery", "package", "arrived", "entrega", "pacote", "chegou"),
        (
            "the delivery arrived late",
            "my package arrived damaged",
            "delivery took two weeks",
            "the package never arrived",
            "late delivery again",
        ),
        (
            "a entrega atrasou",
            "o pacote chegou danificado",
            "a entrega levou duas semanas",
            "o pacote nunca chegou",
            "entrega atrasada de novo",
        ),
        (2, 4, 5, 6, 7, 8, 9),
    ),
    PlantedTheme(
        "app",
        ("app", "crashes", "login", "aplicativo", "trava"),
        (
            "the app crashes when I log in",
            "login fails in the mobile app",
            "the app keeps crashing after the update",
            "cannot login to the app",
            "the new app update is slow",
        ),
        (
            "o aplicativo trava no login",
            "o aplicativo trava depois da atualização",
            "não consigo fazer login no aplicativo",
            "o aplicativo fecha sozinho",
            "login no aplicativo não funciona",
        ),
        (3, 5, 6, 7, 8, 9),
    ),
    PlantedTheme(
        "friendly staff",
        ("friendly", "helpful", "staff", "atencioso", "equipe", "simpática"),
        (
            "the staff were friendly and helpful",
            "very friendly team, thank you",
            "helpful staff solved it quickly",
            "friendly and helpful as always",
            "the staff went out of their way to help",
        ),
        (
            "a equipe foi muito atenciosa",
            "equipe simpática e atenciosa",
            "atendente atencioso resolveu rápido",
            "equipe simpática, obrigado",
            "atenciosos e prestativos como sempre",
        ),
        (8, 9, 9, 10, 10),
    ),
    PlantedTheme(
        "price",
        ("expensive", "price", "caro", "preço"),
        (
            "too expensive for what it offers",
            "the price went up again",
            "expensive compared to others",
            "the new price is too high",
            "price increase without warning",
        ),
        (
            "muito caro pelo que oferece",
            "o preço subiu de novo",
            "caro comparado aos outros",
            "o novo preço é alto demais",
            "aumento de preço sem aviso",
        ),
        (3, 5, 6, 7, 7, 8),
    ),
)
FILLER_EN = ("honestly", "overall", "this time", "as a customer since 2019", "in my experience", "to be fair",
             "last week", "for our team", "on Monday", "yesterday")  # fmt: skip
FILLER_PT = ("sinceramente", "no geral", "desta vez", "como cliente desde 2019", "na minha experiência",
             "semana passada", "para a nossa equipe", "na segunda-feira", "ontem")  # fmt: skip


def planted_comments(n: int, *, portuguese_share: float = 0.3, seed: int = 1) -> pd.DataFrame:
    """n comments: text, language (en | pt), theme (planted name), nps (0–10), each text distinct-ish."""
    rng = np.random.default_rng(seed)
    themes = rng.integers(0, len(PLANTED_THEMES), n)
    portuguese = rng.random(n) < portuguese_share
    texts, scores = [], []
    for index in range(n):
        theme = PLANTED_THEMES[themes[index]]
        phrases = theme.phrases_pt if portuguese[index] else theme.phrases_en
        filler = FILLER_PT if portuguese[index] else FILLER_EN
        picked = rng.choice(len(phrases), size=int(rng.integers(1, 3)), replace=False)
        body = ", ".join(phrases[i] for i in picked)
        text = f"{filler[rng.integers(len(filler))].capitalize()}, {body} #{index}."
        texts.append(text)
        scores.append(int(rng.choice(theme.nps_scores)))
    return pd.DataFrame(
        {
            "text": texts,
            "language": np.where(portuguese, "pt", "en"),
            "theme": [PLANTED_THEMES[t].name for t in themes],
            "nps": scores,
        }
    )
