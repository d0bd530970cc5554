"""Reference values for the metrics of `fare-core`, computed with the libraries people trust.

Builds fixed pseudo-random inputs (seeded, so every run writes the same file), computes the
expected numbers with scikit-learn, SciPy and the `krippendorff` package, and writes inputs and
expected outputs to `crates/fare-core/tests/fixtures/metrics_reference.json`. The Rust test
`crates/fare-core/tests/metrics_reference.rs` reads that file and checks that our metrics give the
same numbers to 1e-9. CI does not run this script; it only runs the Rust test against the
committed fixture. Rerun the script when you add a case, and commit the fixture with it.

How to run it (from the repository root, in a throwaway virtual environment outside the repo):

    python3 -m venv <somewhere outside the repository>
    <that venv>/bin/pip install numpy scipy scikit-learn krippendorff
    <that venv>/bin/python tests/reference/metrics_reference.py

What each part is checked against:

- ProcessBench: a plain-Python copy of the official ProcessBench evaluation (QwenLM/ProcessBench,
  code/run_eval_prm_*.py): accuracy on erroneous samples = mean(prediction == label) over
  label != -1, accuracy on correct samples = mean(prediction == label) over label == -1,
  F1 = 2ab / (a + b). The official script prints percent; here they are fractions. A failed
  verdict is `None` there (never equal to a label) and `null` in the fixture.
- Verification: sklearn.metrics accuracy_score, precision_score, recall_score, f1_score
  (zero_division=nan, so an undefined value is null) and confusion_matrix, with a failed verdict
  as a third label "failed".
- Rating: numpy for MAE, scipy.stats.spearmanr and pearsonr over the rated samples.
- Cohen's kappa: sklearn.metrics.cohen_kappa_score (undefined -> NaN -> null).
- Krippendorff's alpha: krippendorff.alpha(reliability_data=coders x units, NaN for missing,
  level_of_measurement nominal / ordinal / interval).

In the fixture, every NaN (undefined statistic) is written as null, every failed verdict as null.
"""

import json
import math
import random
import warnings
from importlib.metadata import version
from pathlib import Path

import krippendorff
import numpy as np
from scipy import stats
from sklearn import metrics

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "crates" / "fare-core" / "tests" / "fixtures" / "metrics_reference.json"
SEED = 20260501


def clean(value):
    """A float for JSON: NaN (undefined) becomes None."""
    value = float(value)
    return None if math.isnan(value) else value


# ---------------------------------------------------------------------------------------------
# ProcessBench


def processbench_split(rng, n):
    """Step-level samples with an evaluator that is often right, sometimes early, late or silent."""
    samples = []
    for _ in range(n):
        step_count = rng.randint(2, 16)
        label = -1 if rng.random() < 0.45 else rng.randrange(step_count)
        r = rng.random()
        if r < 0.05:
            prediction = None  # failed: unparseable or truncated
        elif label == -1:
            prediction = -1 if r < 0.65 else rng.randrange(step_count)
        elif r < 0.50:
            prediction = label
        elif r < 0.65:
            prediction = rng.randrange(label + 1) if label > 0 else -1
        elif r < 0.80:
            prediction = rng.randrange(label, step_count)
        else:
            prediction = -1
        samples.append({"gold": label, "predicted": prediction, "step_count": step_count})
    return samples


def official_processbench(samples):
    """The official ProcessBench score, as fractions instead of percent."""
    res_data = [
        {"label": s["gold"], "match": s["predicted"] == s["gold"]} for s in samples
    ]
    data1 = [e for e in res_data if e["label"] != -1]
    data2 = [e for e in res_data if e["label"] == -1]
    acc1 = np.mean([e["match"] for e in data1])
    acc2 = np.mean([e["match"] for e in data2])
    f1 = 2 * acc1 * acc2 / (acc1 + acc2)
    return {
        "n_erroneous": len(data1),
        "n_correct": len(data2),
        "error_accuracy": clean(acc1),
        "correct_accuracy": clean(acc2),
        "f1": clean(f1),
    }


def processbench_cases(rng):
    splits = []
    for name, n in [("gsm8k", 120), ("math", 200), ("olympiadbench", 160), ("omnimath", 140)]:
        samples = processbench_split(rng, n)
        splits.append({"name": name, "samples": samples, "expected": official_processbench(samples)})
    mean_f1 = float(np.mean([s["expected"]["f1"] for s in splits]))
    return {"splits": splits, "mean_f1": mean_f1}


# ---------------------------------------------------------------------------------------------
# Verification


def verification_expected(gold, predicted):
    y_pred = ["failed" if p is None else p for p in predicted]

    def per_class(positive):
        kwargs = {"labels": [positive], "average": "macro", "zero_division": np.nan}
        return (
            clean(metrics.precision_score(gold, y_pred, **kwargs)),
            clean(metrics.recall_score(gold, y_pred, **kwargs)),
            clean(metrics.f1_score(gold, y_pred, **kwargs)),
        )

    precision, recall, f1 = per_class("incorrect")
    correct_precision, correct_recall, correct_f1 = per_class("correct")
    macro_f1 = metrics.f1_score(
        gold, y_pred, labels=["correct", "incorrect"], average="macro", zero_division=np.nan
    )
    confusion = metrics.confusion_matrix(gold, y_pred, labels=["correct", "incorrect", "failed"])
    return {
        "accuracy": clean(metrics.accuracy_score(gold, y_pred)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "correct_precision": correct_precision,
        "correct_recall": correct_recall,
        "correct_f1": correct_f1,
        "macro_f1": clean(macro_f1),
        # Rows gold correct / incorrect; columns predicted correct / incorrect / failed.
        "confusion": confusion[:2].tolist(),
    }


def verification_cases(rng):
    cases = []
    gold, predicted = [], []
    for _ in range(200):
        truth = "correct" if rng.random() < 0.5 else "incorrect"
        other = "incorrect" if truth == "correct" else "correct"
        r = rng.random()
        gold.append(truth)
        predicted.append(None if r < 0.08 else truth if r < 0.78 else other)
    cases.append(("random", gold, predicted))
    # An evaluator that approves everything: precision on "incorrect" is undefined.
    cases.append(
        ("approves_everything", ["correct"] * 7 + ["incorrect"] * 5, ["correct"] * 11 + [None])
    )
    return [
        {"name": name, "gold": g, "predicted": p, "expected": verification_expected(g, p)}
        for name, g, p in cases
    ]


# ---------------------------------------------------------------------------------------------
# Rating


def rating_expected(gold, predicted):
    pairs = [(g, p) for g, p in zip(gold, predicted) if p is not None]
    g = np.array([x for x, _ in pairs], dtype=float)
    p = np.array([y for _, y in pairs], dtype=float)
    return {
        "mae": clean(np.mean(np.abs(p - g))),
        "spearman": clean(stats.spearmanr(g, p).statistic),
        "pearson": clean(stats.pearsonr(g, p).statistic),
        "exact_agreement": sum(1 for x, y in zip(gold, predicted) if x == y) / len(gold),
    }


def rating_cases(rng):
    cases = []
    gold, predicted = [], []
    for _ in range(200):
        truth = rng.randint(1, 10)
        gold.append(truth)
        noisy = min(10, max(1, truth + rng.choice([-3, -2, -1, -1, 0, 0, 0, 1, 1, 2])))
        predicted.append(None if rng.random() < 0.06 else noisy)
    cases.append(("random_1_to_10", gold, predicted))
    gold = [rng.randint(1, 3) for _ in range(60)]
    predicted = [g if rng.random() < 0.5 else rng.randint(1, 3) for g in gold]
    cases.append(("many_ties_1_to_3", gold, predicted))
    return [
        {"name": name, "gold": g, "predicted": p, "expected": rating_expected(g, p)}
        for name, g, p in cases
    ]


# ---------------------------------------------------------------------------------------------
# Cohen's kappa


def kappa_cases(rng):
    cases = []
    first = [rng.randrange(4) for _ in range(200)]
    second = [f if rng.random() < 0.6 else rng.randrange(4) for f in first]
    cases.append(("random_4_labels", first, second))
    first = [rng.randrange(3) for _ in range(50)]
    second = [rng.randrange(5) for _ in range(50)]
    cases.append(("labels_only_one_annotator_uses", first, second))
    first = [1 if rng.random() < 0.8 else 0 for _ in range(100)]
    second = [f if rng.random() < 0.9 else 1 - f for f in first]
    cases.append(("skewed_binary", first, second))
    cases.append(("one_shared_label_everywhere", [2] * 10, [2] * 10))
    return [
        {
            "name": name,
            "first": a,
            "second": b,
            "expected": clean(metrics.cohen_kappa_score(a, b)),
        }
        for name, a, b in cases
    ]


# ---------------------------------------------------------------------------------------------
# Krippendorff's alpha


def alpha_expected(reliability_data, levels):
    data = np.array(
        [[np.nan if v is None else v for v in coder] for coder in reliability_data], dtype=float
    )
    return {
        level: clean(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
        for level in levels
    }


def noisy_coders(rng, coders, units, values, missing, noise):
    """Coders who mostly agree on each unit's value, with some noise and missing labels."""
    data = [[None] * units for _ in range(coders)]
    for u in range(units):
        truth = rng.choice(values)
        for c in range(coders):
            if rng.random() < missing:
                continue
            data[c][u] = rng.choice(values) if rng.random() < noise else truth
    return data


def alpha_cases(rng):
    integer_levels = ["nominal", "ordinal", "interval"]
    cases = [
        ("three_coders_1_to_5", noisy_coders(rng, 3, 200, [1, 2, 3, 4, 5], 0.2, 0.35), integer_levels),
        ("five_coders_sparse", noisy_coders(rng, 5, 80, [0, 1, 2], 0.6, 0.5), integer_levels),
        (
            # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C.
            "krippendorff_2011",
            [
                [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
                [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
                [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
                [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
            ],
            integer_levels,
        ),
        (
            "interval_fractional_values",
            noisy_coders(rng, 4, 60, [0.5, 1.25, 3.0, 4.75, 10.0], 0.25, 0.4),
            ["interval"],
        ),
    ]
    return [
        {"name": name, "reliability_data": data, "expected": alpha_expected(data, levels)}
        for name, data, levels in cases
    ]


def to_json(value, indent=""):
    """JSON with one line per sample or per list of scalars, so the fixture reads and diffs well."""
    inner = indent + "  "
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [f"{inner}{to_json(v, inner)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False)


def main():
    warnings.simplefilter("ignore")  # undefined statistics warn; they are recorded as null
    rng = random.Random(SEED)
    fixture = {
        "about": (
            "Reference values for fare-core metrics. Generated by "
            "tests/reference/metrics_reference.py; do not edit by hand. "
            "null as a verdict means the evaluator failed; null as an expected value means undefined."
        ),
        "seed": SEED,
        "library_versions": {
            name: version(name) for name in ["numpy", "scipy", "scikit-learn", "krippendorff"]
        },
        "processbench": processbench_cases(rng),
        "verification": verification_cases(rng),
        "rating": rating_cases(rng),
        "cohen_kappa": kappa_cases(rng),
        "krippendorff_alpha": alpha_cases(rng),
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(to_json(fixture) + "\n")
    print(f"wrote {FIXTURE.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
