"""Train the learned scorer of `extract` on the development sets, and cross-validate it leaving one set out.

    python -m bench.extract_learn              # leave-one-set-out scores, per set and in all
    python -m bench.extract_learn --write      # also train on every development set and write the weights

Deterministic: a fixed order of texts, a seeded shuffle, no clock. Only the development sets are read
(`SETS`); a blind held-apart set is never opened here. The experiments of bench/extract/README.md (round 4)
set LEARN_EPOCHS, LEARN_RATE, LEARN_L2, LEARN_MIN_COUNT, LEARN_DROP (feature prefixes left out) and
LEARN_PLACE (pointwise or ranking); the shipped weights use the defaults.
"""

import argparse
import json
import math
import os
import pickle
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from api.extract.draft import read_text
from api.extract.gazetteer import Place
from api.extract.learned import (
    WEIGHTS,
    Ruled,
    candidates,
    logistic,
    place_candidates,
    place_options,
    rules_view,
    score,
)
from api.extract.locate import ReportPlaces
from api.vocabulary import Precision
from bench.extract import Gold, Pair, _country_names, is_match, match_pairs, read_gold

ROOT = Path(__file__).parent / "extract"
SETS = ("texts", "heldapart", "heldapart2", "heldapart3")
SEED = 23
EPOCHS = int(os.environ.get("LEARN_EPOCHS", "30"))
RATE = float(os.environ.get("LEARN_RATE", "0.3"))
L2 = float(os.environ.get("LEARN_L2", "1e-4"))
# The place model: each option scored alone ("pointwise", a logistic model) or against the figure's other
# options ("ranking", a softmax); pointwise scored a little higher in the cross-validation.
PLACE_MODEL = os.environ.get("LEARN_PLACE", "pointwise")
MIN_COUNT = int(os.environ.get("LEARN_MIN_COUNT", "2"))
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass
class Option:
    """A place a candidate may be put in: its features, and whether a gold pair has it with this value."""

    place: Place
    features: list[str]
    label: bool


@dataclass
class Number:
    """A candidate number: its features, whether a gold pair has its value, and its place options."""

    value: int
    approximate: bool
    lead: bool
    features: list[str]
    label: bool
    options: list[Option]


@dataclass
class Text:
    """One development text, read once."""

    name: str
    group: str
    gold: Gold
    numbers: list[Number]


def pair_of(place: Place, value: int, approximate: bool) -> Pair:
    """The (place, figure) pair a draft's claim at `place` is scored as (a country by its GeoNames name)."""
    name = place.name if place.level is not Precision.country else _country_names().get(place.country)
    return Pair(name, place.country, value, approximate)


def read_set(group: str, history: dict[str, Ruled] | None = None) -> list[Text]:
    """Every text of a development set with its candidates, their features and labels."""
    texts = []
    for path in sorted((ROOT / group).glob("*.txt")):
        body = read_text(path)
        gold = read_gold(path.with_suffix(".gold.yaml"))
        places = ReportPlaces(body)
        options = place_options(places)
        values = {pair.value for pair in gold.pairs}
        numbers = []
        ruled = rules_view(places) if history is None else history.get(f"{group}/{path.stem}", {})
        for candidate in candidates(body, places, ruled):
            figure = candidate.figure
            placed = [
                Option(
                    place,
                    features,
                    any(is_match(pair_of(place, figure.value, False), g) for g in gold.pairs),
                )
                for place, features in place_candidates(places, figure, options, ruled)
            ]
            numbers.append(
                Number(
                    figure.value,
                    figure.approximate,
                    candidate.lead,
                    list(candidate.features),
                    figure.value in values,
                    placed,
                )
            )
        texts.append(Text(path.stem, group, gold, numbers))
    return texts


DROP = tuple(prefix for prefix in os.environ.get("LEARN_DROP", "").split(",") if prefix)


def _without_rules(features: list[str]) -> list[str]:
    return [f for f in features if "R:" not in f and not f.startswith(DROP)]


def train(examples: Sequence[tuple[list[str], bool]]) -> dict[str, float]:
    """Logistic regression by AdaGrad on binary features seen at least MIN_COUNT times; deterministic."""
    seen = Counter(feature for features, _ in examples for feature in set(features))
    rows = [
        ([f for f in features if seen[f] >= MIN_COUNT] + ["<bias>"], label) for features, label in examples
    ]
    weights: dict[str, float] = defaultdict(float)
    squares: dict[str, float] = defaultdict(lambda: 1e-8)
    order = list(range(len(rows)))
    shuffle = random.Random(SEED)
    for _ in range(EPOCHS):
        shuffle.shuffle(order)
        for index in order:
            features, label = rows[index]
            total = sum(weights[f] for f in features)
            probability = logistic(total)
            error = probability - (1.0 if label else 0.0)
            for feature in features:
                gradient = error + L2 * weights[feature]
                squares[feature] += gradient * gradient
                weights[feature] -= RATE * gradient / math.sqrt(squares[feature])
    return {feature: round(weight, 4) for feature, weight in sorted(weights.items()) if abs(weight) >= 1e-3}


def train_ranking(groups: Sequence[list[tuple[list[str], bool]]]) -> dict[str, float]:
    """A conditional logit (softmax over each figure's place options) by AdaGrad; deterministic.

    The place of a figure is one of its report's places: the options compete, so a feature such as
    'the report's place' counts only against the options nearer the figure.
    """
    seen = Counter(feature for group in groups for features, _ in group for feature in set(features))
    rows = [
        [([f for f in features if seen[f] >= MIN_COUNT], label) for features, label in group]
        for group in groups
    ]
    weights: dict[str, float] = defaultdict(float)
    squares: dict[str, float] = defaultdict(lambda: 1e-8)
    order = list(range(len(rows)))
    shuffle = random.Random(SEED)
    for _ in range(EPOCHS):
        shuffle.shuffle(order)
        for index in order:
            options = rows[index]
            totals = [sum(weights[f] for f in features) for features, _ in options]
            top = max(totals)
            exps = [math.exp(total - top) for total in totals]
            norm = sum(exps)
            # The gold options share the target mass (a place may be named as a city and as its country).
            gold = sum(1 for _, label in options if label)
            gradients: dict[str, float] = defaultdict(float)
            for (features, label), e in zip(options, exps, strict=True):
                error = e / norm - (1.0 / gold if label else 0.0)
                for feature in features:
                    gradients[feature] += error
            for feature, summed in gradients.items():
                gradient = summed + L2 * weights[feature]
                squares[feature] += gradient * gradient
                weights[feature] -= RATE * gradient / math.sqrt(squares[feature])
    return {feature: round(weight, 4) for feature, weight in sorted(weights.items()) if abs(weight) >= 1e-3}


def fit(texts: Sequence[Text], *, rules: bool) -> dict[str, dict[str, float]]:
    """The figure and place models trained on `texts`."""
    keep = (lambda f: [x for x in f if not x.startswith(DROP)]) if rules else _without_rules
    figure_rows = [(keep(n.features), n.label) for t in texts for n in t.numbers]
    place_groups = [
        [(keep(o.features), o.label) for o in n.options]
        for t in texts
        for n in t.numbers
        if n.label and any(o.label for o in n.options)
    ]
    if PLACE_MODEL == "ranking":
        return {"figure": train(figure_rows), "place": train_ranking(place_groups)}
    return {"figure": train(figure_rows), "place": train([row for group in place_groups for row in group])}


def predict(text: Text, model: dict[str, dict[str, float]], threshold: float) -> list[Pair]:
    """The pairs a draft would propose (one per place and value, the running text's over the headline's)."""
    proposals: list[tuple[Pair, bool]] = []
    for number in text.numbers:
        if not number.options or score(model["figure"], number.features) < threshold:
            continue
        best = max(number.options, key=lambda o: score(model["place"], o.features))
        proposals.append((pair_of(best.place, number.value, number.approximate), number.lead))
    kept: dict[tuple[str | None, str | None, float], tuple[Pair, bool]] = {}
    for pair, lead in sorted(proposals, key=lambda item: item[1]):
        kept.setdefault((pair.place, pair.country, pair.value), (pair, lead))
    in_text = {pair.value for pair, lead in kept.values() if not lead}
    return [pair for pair, lead in kept.values() if not (lead and pair.value in in_text)]


def scores(texts: Sequence[Text], predicted: Sequence[list[Pair]]) -> tuple[int, int, int, int]:
    """Proposed, gold, matched, and matched with the right `approximate`."""
    proposed = gold = matched = approximate = 0
    for text, pairs in zip(texts, predicted, strict=True):
        matches = match_pairs(pairs, text.gold.pairs)
        proposed, gold, matched = proposed + len(pairs), gold + len(text.gold.pairs), matched + len(matches)
        approximate += sum(pairs[p].approximate == text.gold.pairs[g].approximate for p, g in matches)
    return proposed, gold, matched, approximate


_COLUMNS = f"{'proposed':>8} {'gold':>5} {'matched':>7} {'precision':>9} {'recall':>6} {'approx':>7}"


def _line(name: str, counted: tuple[int, int, int, int]) -> str:
    proposed, gold, matched, approximate = counted
    precision = matched / proposed if proposed else 0.0
    recall = matched / gold if gold else 0.0
    share = approximate / matched if matched else 0.0
    return f"{name:22} {proposed:>8} {gold:>5} {matched:>7} {precision:>9.2f} {recall:>6.2f} {share:>7.2f}"


def cross_validate(by_set: dict[str, list[Text]], *, rules: bool) -> None:
    """Leave one set out: train on the others, score it; every threshold, then the sum over the sets."""
    header = f"{'left out':22} {_COLUMNS}"
    models = {
        left_out: fit([text for group in SETS if group != left_out for text in by_set[group]], rules=rules)
        for left_out in SETS
    }
    for threshold in THRESHOLDS:
        print(f"\nthreshold {threshold}  ({'with' if rules else 'without'} the rules' outputs as features)")
        print(header)
        total = (0, 0, 0, 0)
        for left_out in SETS:
            model = models[left_out]
            texts = by_set[left_out]
            counted = scores(texts, [predict(text, model, threshold) for text in texts])
            print(_line(left_out, counted))
            total = tuple(a + b for a, b in zip(total, counted, strict=True))  # type: ignore[assignment]
        print(_line("all four, left out", total))
    _diagnose(by_set, models)


def _diagnose(by_set: dict[str, list[Text]], models: dict[str, dict[str, dict[str, float]]]) -> None:
    """Where the left-out errors are: the figure model (a value no gold pair has) or the place model."""
    ceiling = wrong_figure = wrong_place = right = 0
    for left_out in SETS:
        model = models[left_out]
        for text in by_set[left_out]:
            ceiling += sum(
                any(o.label for n in text.numbers for o in n.options if n.value == g.value)
                for g in text.gold.pairs
            )
            for number in text.numbers:
                if number.label and any(o.label for o in number.options):
                    best = max(number.options, key=lambda o: score(model["place"], o.features))
                    right += best.label
                    wrong_place += not best.label
            wrong_figure += sum(
                1 for n in text.numbers if not n.label and score(model["figure"], n.features) >= 0.5
            )
    print(f"gold pairs reachable by a candidate and a place option: {ceiling}")
    print(f"place model on gold-valued candidates: right {right}, wrong {wrong_place}")
    print(f"non-gold values scored >= 0.5 by the figure model: {wrong_figure}")


def _read_sets(cache: Path | None) -> dict[str, list[Text]]:
    if cache is not None and cache.exists():
        with cache.open("rb") as file:
            cached: dict[str, list[Text]] = pickle.load(file)  # noqa: S301 (a file this script wrote)
            return cached
    by_set = {group: read_set(group) for group in SETS}
    if cache is not None:
        with cache.open("wb") as file:
            pickle.dump(by_set, file)
    return by_set


def _history(path: Path) -> dict[str, Ruled]:
    """The rules' view of every text as an older commit of the rules gave it (see `--forward`)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        key: {
            int(start): (binding, Place(p[0], p[1], p[2], p[3], p[4], Precision(p[5])) if p else None)
            for start, (binding, p) in view.items()
        }
        for key, view in data.items()
    }


def forward(by_set: dict[str, list[Text]], histories: Sequence[tuple[str, Path]]) -> None:
    """Each held-apart set scored by a model trained only on the sets before it, as the rules were.

    Without the rules' outputs as features; and with them as an older commit of the rules gave them, one
    that had not read the set scored (`--forward heldapart2=rules-before-round-2.json`).
    """
    header = f"{'scored (trained before)':22} {_COLUMNS}"
    print("\nforward: each set scored by a model trained on the sets before it only, threshold 0.5")
    print(header)
    for index, group in enumerate(SETS[1:], start=1):
        model = fit([text for earlier in SETS[:index] for text in by_set[earlier]], rules=False)
        print(
            _line(
                f"{group} (no rules)", scores(by_set[group], [predict(t, model, 0.5) for t in by_set[group]])
            )
        )
    for group, path in histories:
        history = _history(path)
        index = SETS.index(group)
        sets = {name: read_set(name, history) for name in SETS[: index + 1]}
        model = fit([text for earlier in SETS[:index] for text in sets[earlier]], rules=True)
        texts = sets[group]
        for threshold in THRESHOLDS:
            name = f"{group} (rules {path.stem}) {threshold}"
            print(_line(name, scores(texts, [predict(t, model, threshold) for t in texts])))


def main(argv: Sequence[str] | None = None) -> int:
    """Cross-validate; with --write, train on all the development sets and write the weights file."""
    parser = argparse.ArgumentParser(prog="python -m bench.extract_learn", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS.name}")
    parser.add_argument("--threshold", type=float, default=0.5, help="the figure model's threshold to ship")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument("--cache", type=Path, help="a pickle of the read sets, reused while features stay")
    parser.add_argument(
        "--forward", action="append", default=[], metavar="SET=JSON", help="forward scores with older rules"
    )
    parser.add_argument("--rules", choices=("with", "without", "both"), default="both")
    args = parser.parse_args(argv)
    by_set = _read_sets(args.cache)
    if not args.no_cv:
        for rules in {"with": (True,), "without": (False,), "both": (True, False)}[args.rules]:
            cross_validate(by_set, rules=rules)
    if args.forward:
        histories = [(item.split("=")[0], Path(item.split("=")[1])) for item in args.forward]
        forward(by_set, histories)
    if args.write:
        model = fit([text for group in SETS for text in by_set[group]], rules=args.rules != "without")
        every = [text for group in SETS for text in by_set[group]]
        print("\ndevelopment (trained on all four):")
        print(_line("all four", scores(every, [predict(text, model, args.threshold) for text in every])))
        data = {
            **model,
            "threshold": {"figure": args.threshold},
            "rules": {"used": float(args.rules != "without")},
        }
        WEIGHTS.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS.name}: {len(model['figure'])} + {len(model['place'])} weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
