"""Write models/MODEL_CARD.md from a training report (``make train``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES

CARD = Path(__file__).resolve().parent / "MODEL_CARD.md"
TEMPLATE = Path(__file__).resolve().parent / "model_card.template.md"
CORPUS = Path(__file__).resolve().parent / "corpus"


def _f(value: float) -> str:
    return f"{value:.3f}"


def metric_tables(report: dict[str, Any]) -> dict[str, str]:
    m = report["dev_metrics"]
    go, eb, olid, team = m["goemotions_dev"], m["emobank_dev"], m["olid_heldout"], m["team_test"]
    per_label = "\n".join(
        f"| {label} | {_f(go['emotion_f1_per_label'][label])} | {_f(team['emotion_f1_per_label'][label])} |"
        for label in EMOTIONS
    )
    safety = "\n".join(
        f"| {c} | {_f(olid['safety_roc_auc'][c]) if c in olid['safety_roc_auc'] else 'n/a'} "
        f"| {_f(olid['safety_f1'][c]) if c in olid['safety_f1'] else 'n/a'} "
        f"| {_f(team['safety_roc_auc'][c])} | {_f(team['safety_f1'][c])} |"
        for c in SAFETY_CATEGORIES
    )
    vad = "\n".join(
        f"| {d} | {_f(eb['vad_pearson_r'][d])} | {_f(eb['vad_mae'][d])} "
        f"| {_f(team['vad_pearson_r'][d])} | {_f(team['vad_mae'][d])} |"
        for d in eb["vad_pearson_r"]
    )
    targets = "\n".join(
        f"| {name} | >= {target} | {_f(report['dev_target_values'][name])} "
        f"| {'met' if report['dev_targets_met'][name] else '**missed**'} |"
        for name, target in report["dev_targets"].items()
    )
    stretch_targets = "\n".join(
        f"| {name} | >= {target} | {_f(report['dev_target_values'][name])} "
        f"| {'met' if report['stretch_targets_met'][name] else '**missed**'} |"
        for name, target in report.get("stretch_targets", {}).items()
    )
    history = "\n".join(
        f"   | {epoch['epoch']} | {epoch['dev_loss_total']:.4f} | "
        + ", ".join(f"{name} {loss:.3f}" for name, loss in epoch["dev_loss"].items())
        + f" | {epoch['seconds'] / 60:.0f} |"
        for epoch in report.get("finetune_history", [])
    )
    prior = (report.get("calibration") or {}).get("emotion_prior", {})
    sizes = "\n".join(f"| {name} | {n:,} |" for name, n in sorted(report["sizes"].items()))
    calibration = report.get("calibration") or {}
    ece = (
        "\n".join(
            f"| {c} | {_f(calibration['temperatures'][c])} "
            + " ".join(
                f"| {_f(calibration['ece_before'][s][c])} -> {_f(calibration['ece'][s][c])}"
                if c in calibration["ece"][s]
                else "| n/a"
                for s in ("olid_heldout", "team_test")
            )
            + " |"
            for c in SAFETY_CATEGORIES
        )
        if calibration
        else "| (not calibrated) | | | |"
    )
    return {
        "go_accuracy": _f(go["emotion_accuracy"]),
        "go_macro_f1": _f(go["emotion_macro_f1"]),
        "team_accuracy": _f(team["emotion_accuracy"]),
        "team_macro_f1": _f(team["emotion_macro_f1"]),
        "team_style": _f(team["style_accuracy"]),
        "team_intent": _f(team["intent_accuracy"]),
        "per_label": per_label,
        "safety": safety,
        "vad": vad,
        "targets": targets,
        "sizes": sizes,
        "ece": ece,
        "threshold": _f(calibration.get("threshold", 0.5)),
        "threshold_f1": _f(calibration.get("olid_macro_f1", float("nan"))),
        "threshold_f1_at_half": _f(calibration.get("olid_macro_f1_at_0.5", float("nan"))),
        "threshold_team_flagged": _f(calibration.get("team_safe_flagged", float("nan"))),
        "threshold_tolerance": _f(calibration.get("f1_tolerance", float("nan"))),
        "threshold_free": _f(calibration.get("unconstrained_threshold", float("nan"))),
        "threshold_free_f1": _f(calibration.get("unconstrained_olid_macro_f1", float("nan"))),
        "threshold_free_flagged": _f(calibration.get("unconstrained_team_safe_flagged", float("nan"))),
        "threshold_heldout_f1": _f(olid.get("offensive_macro_f1_at_threshold", float("nan"))),
        "prior_alpha": f"{prior.get('alpha', 0.0):.2f}",
        "prior_accuracy_before": _f(prior.get("accuracy_before", float("nan"))),
        "prior_f1_before": _f(prior.get("macro_f1_before", float("nan"))),
        "prior_accuracy": _f(prior.get("accuracy", float("nan"))),
        "prior_f1": _f(prior.get("macro_f1", float("nan"))),
        "stretch_targets": stretch_targets,
        "history": history,
        "seed": str(report["config"]["seed"]),
        "team_weight": ", ".join(f"{h} {w}x" for h, w in report["config"]["team_weight"]),
        "l2": ", ".join(f"{h} {v}" for h, v in report["config"]["l2"]),
        "finetune": ", ".join(f"{k}={v}" for k, v in report["config"]["finetune"].items()),
        "seconds": ", ".join(
            f"{k} {v} s" + (" (from the build/ cache)" if k in report["cached_stages"] else "")
            for k, v in report["seconds"].items()
        ),
        "corpus_sha256": report["corpus_sha256"][:16],
        **corpus_counts(),
    }


def corpus_counts() -> dict[str, str]:
    """Rows of the team corpus (the files the report's corpus_sha256 names), all and on
    threats and harassment."""
    rows = {path.stem: sum(1 for line in path.open() if line.strip()) for path in CORPUS.glob("*.jsonl")}
    return {
        "corpus_rows": f"{sum(rows.values()):,}",
        "corpus_safety_rows": f"{rows.get('threats', 0) + rows.get('harassment', 0):,}",
    }


def write(report: dict[str, Any]) -> None:
    text = TEMPLATE.read_text()
    for key, value in metric_tables(report).items():
        text = text.replace("{{" + key + "}}", value)
    CARD.write_text(text)
