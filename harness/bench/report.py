"""The comparison table of a suite's result: rich on the console, Markdown, JSON, and
a PNG of accuracy against training time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.storage.workspace import atomic_write_bytes, atomic_write_json

COLUMNS = (
    "cell",
    "status",
    "final accuracy",
    "time to target (s)",
    "throughput (samples/s)",
    "peak RSS (MB)",
    "GPU peak (MB)",
    "wall (s)",
    "run",
)


def _fmt(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def rows(doc: dict[str, Any]) -> list[list[str]]:
    table = []
    for cell in doc["cells"]:
        table.append(
            [
                cell["key"],
                cell["status"],
                _fmt(cell.get("final_accuracy"), 4),
                _fmt(cell.get("time_to_target_s"), 2),
                _fmt(cell.get("throughput_samples_per_s"), 0),
                _fmt(cell.get("peak_rss_mb"), 0),
                _fmt(cell.get("gpu_peak_mb"), 0),
                _fmt(cell.get("wall_s"), 1),
                cell.get("run_id") or "-",
            ]
        )
    return table


def title(doc: dict[str, Any]) -> str:
    machine = doc["machine"]
    where = f"{machine['cpus']} CPUs" + (
        f", GPU {machine['gpu']}" if machine.get("gpu") else ", no GPU"
    )
    return (
        f"bench {doc['id']} — suite {doc['suite']}, target accuracy {doc['target_accuracy']:g}, "
        f"{where}, sweep {doc['sweep_id']}"
    )


def markdown(doc: dict[str, Any]) -> str:
    lines = [f"# {title(doc)}", ""]
    if doc.get("description"):
        lines += [doc["description"], ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "|".join("---" for _ in COLUMNS) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows(doc)]
    lines.append("")
    errors = [c for c in doc["cells"] if c.get("error")]
    if errors:
        lines += ["Errors:", ""] + [f"- `{c['key']}`: {c['error']}" for c in errors] + [""]
    lines += [
        "Time to target: cumulative per-epoch time (training + validation) at the first "
        "epoch reaching the target; `-` if never reached. Throughput: median over epochs. "
        f"Machine: {doc['machine']['platform']}, Python {doc['machine']['python']}.",
        "",
    ]
    if doc.get("interrupted"):
        lines += ["**Interrupted**: the cells after the last one shown did not run.", ""]
    return "\n".join(lines)


def plot(doc: dict[str, Any], path: Path) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    # Colour = estimator, marker = dataset, line style = setting: a cell reads at a glance.
    colours = _index([c["estimator"] for c in doc["cells"]])
    markers = _index([c["dataset"] for c in doc["cells"]])
    styles = _index([c["setting"] for c in doc["cells"]])
    drawn = 0
    for cell in doc["cells"]:
        curve = cell.get("curve") or []
        if not curve:
            continue
        ax.plot(
            [point[0] for point in curve],
            [point[1] for point in curve],
            color=f"C{colours[cell['estimator']] % 10}",
            marker="os^Dvx*P<>"[markers[cell["dataset"]] % 10],
            linestyle=("-", "--", ":", "-.")[styles[cell["setting"]] % 4],
            label=cell["key"],
        )
        drawn += 1
    times = [p[0] for c in doc["cells"] for p in c.get("curve") or [] if p[0] > 0]
    log_scale = bool(times) and max(times) / min(times) > 20
    if log_scale:  # fast and slow cells differ by orders of magnitude: keep both readable
        ax.set_xscale("log")
    ax.axhline(doc["target_accuracy"], color="grey", linestyle="--", linewidth=1, label="target")
    ax.set_xlabel("training time (s, cumulative per epoch" + (", log scale)" if log_scale else ")"))
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"bench {doc['suite']}: accuracy against time")
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:
        ax.text(0.5, 0.5, "no cell produced an accuracy curve", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def _index(names: list[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(dict.fromkeys(names))}


def write_all(doc: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    files = {
        "json": out_dir / "results.json",
        "markdown": out_dir / "results.md",
        "plot": out_dir / "accuracy_vs_time.png",
    }
    atomic_write_json(files["json"], doc)
    atomic_write_bytes(files["markdown"], markdown(doc).encode("utf-8"))
    plot(doc, files["plot"])
    return files
