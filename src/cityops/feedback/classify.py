"""Category suggestion from the text: a small naive Bayes model learned from the city's own classifications.

It trains on the most recent requests the desk has confirmed (verified or later), on folded words (no
diacritics, lower case) and word pairs, so "den duong" and "đèn đường" count the same. It only suggests; staff
decide. Training is cheap at the volumes of a province (thousands of reports) and happens on demand, so it
always reflects the latest classifications.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from cityops.core.text import search_terms
from cityops.feedback.choices import Status
from cityops.feedback.models import Category, Request

__all__ = ["Model", "suggest_category", "train"]

TRAINING_LIMIT = 5000
MIN_EXAMPLES = 3
CONFIRMED = [s for s in Status.values if s not in {Status.SUBMITTED, Status.REJECTED}]


def features(text: str) -> list[str]:
    words = [w for w in search_terms(text, max_terms=200) if len(w) > 1]
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass
class Model:
    docs: Counter[int] = field(default_factory=Counter)
    words: dict[int, Counter[str]] = field(default_factory=dict)
    vocabulary: set[str] = field(default_factory=set)

    def add(self, category_id: int, text: str) -> None:
        self.docs[category_id] += 1
        counter = self.words.setdefault(category_id, Counter())
        for feature in features(text):
            counter[feature] += 1
            self.vocabulary.add(feature)

    def scores(self, text: str) -> list[tuple[int, float]]:
        """Posterior probability per category (Laplace smoothing), best first."""
        total = sum(self.docs.values())
        if not total:
            return []
        items = features(text)
        size = len(self.vocabulary) or 1
        logs: dict[int, float] = {}
        for category_id, count in self.docs.items():
            counter = self.words[category_id]
            denominator = sum(counter.values()) + size
            logs[category_id] = math.log(count / total) + sum(math.log((counter[f] + 1) / denominator) for f in items)
        top = max(logs.values())
        exp = {k: math.exp(v - top) for k, v in logs.items()}
        norm = sum(exp.values())
        return sorted(((k, v / norm) for k, v in exp.items()), key=lambda kv: -kv[1])


def train(limit: int = TRAINING_LIMIT) -> Model:
    model = Model()
    rows = (
        Request.objects.filter(status__in=CONFIRMED, category__is_active=True)
        .order_by("-created_at")
        .values_list("category_id", "description")[:limit]
    )
    for category_id, text in rows:
        model.add(category_id, text)
    return model


def suggest_category(text: str, *, model: Model | None = None, threshold: float = 0.5) -> Category | None:
    """The likeliest category for ``text`` when the model is confident enough, else None."""
    model = model or train()
    if sum(model.docs.values()) < MIN_EXAMPLES or not features(text):
        return None
    scores = model.scores(text)
    if not scores or scores[0][1] < threshold:
        return None
    return Category.objects.filter(pk=scores[0][0], is_active=True).first()
