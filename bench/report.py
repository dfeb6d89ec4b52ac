"""The benchmark's tables: every measure, its ratio to stock Rasa and its goal."""
from __future__ import annotations

import json
from typing import Dict, List, Optional

from bench import length

OURS_SERVERS = ("ClaudIA proxy", "ClaudIA actions", "ClaudIA web", "ClaudIA rasa")


def _verdict(value: float, goal: float, at_most: bool) -> str:
    met = value <= goal if at_most else value >= goal
    return "met" if met else f"**not met** (by {abs(value - goal) / goal:.0%})"


def _row(measure: str, stock: str, ours: str, ratio: Optional[float], goal: str,
         goal_value: Optional[float] = None, at_most: bool = True, verdict: str = "") -> str:
    if not verdict and ratio is not None and goal_value is not None:
        verdict = _verdict(ratio, goal_value, at_most)
    return f"| {measure} | {stock} | {ours} | {'' if ratio is None else f'{ratio:.2f}'} | {goal} | {verdict} |"


def latency_lines(latency: Dict[str, Dict[int, Dict[str, float]]], concurrency) -> List[str]:
    lines = ["", "| conversations | assistant | p50 (ms) | p95 (ms) | p99 (ms) | turns/s |", "|---|---|---|---|---|---|"]
    for level in concurrency:
        for name in ("stock", "ClaudIA"):
            if level in latency.get(name, {}):
                r = latency[name][level]
                lines.append(f"| {level} | {name} | {r['p50']*1000:.0f} | {r['p95']*1000:.0f} | {r['p99']*1000:.0f} "
                             f"| {r['throughput']:.1f} |")
    return lines


def ratio_lines(results: Dict[str, object], concurrency, folds: int) -> List[str]:
    latency, memory = results["latency"], results["memory"]
    lines: List[str] = []
    if latency:
        lines += latency_lines(latency, concurrency)
    lines += ["", "| measure | stock | ClaudIA | ratio (ClaudIA / stock) | goal | |", "|---|---|---|---|---|---|"]
    if "stock" in latency and "ClaudIA" in latency:
        mid = 20 if 20 in concurrency else concurrency[-1]
        s, o = latency["stock"][mid], latency["ClaudIA"][mid]
        lines.append(_row(f"p95 at {mid} conversations", f"{s['p95']*1000:.0f} ms", f"{o['p95']*1000:.0f} ms",
                          o["p95"] / s["p95"], "≤ 0.5", 0.5))
        lines.append(_row(f"throughput at {mid} conversations", f"{s['throughput']:.1f}/s",
                          f"{o['throughput']:.1f}/s", o["throughput"] / s["throughput"], "≥ 2", 2, at_most=False))
        s1, o1 = latency["stock"][1], latency["ClaudIA"][1]
        lines.append(_row("one conversation alone, median turn", f"{s1['p50']*1000:.0f} ms",
                          f"{o1['p50']*1000:.0f} ms", o1["p50"] / s1["p50"], "≤ 1", 1))
    if results.get("length"):
        numbers = length.summary(results["length"])
        lines.append(_row(f"turn {numbers['turns']} vs turn 10 (ClaudIA alone; paired: "
                          f"{numbers['paired_ratio']:.2f})", "", f"{numbers['first_ms']:.0f} → "
                          f"{numbers['last_ms']:.0f} ms", numbers["ratio"], "≤ 1.2", 1.2))
    if "stock rasa" in memory and "ClaudIA rasa" in memory:
        stock = memory["stock rasa"]
        ours = {key: sum(memory[name][key] for name in OURS_SERVERS if name in memory) for key in ("rss", "pss")}
        lines.append(_row("resident memory, Rasa server (its workers included)", f"{stock['rss']:.0f} MB",
                          f"{memory['ClaudIA rasa']['rss']:.0f} MB", memory["ClaudIA rasa"]["rss"] / stock["rss"],
                          "≤ 0.75", 0.75))
        lines.append(_row("proportional memory, Rasa server (its workers included)", f"{stock['pss']:.0f} MB",
                          f"{memory['ClaudIA rasa']['pss']:.0f} MB", memory["ClaudIA rasa"]["pss"] / stock["pss"],
                          "≤ 0.75", 0.75))
        lines.append(_row("resident memory, all processes (RSS)", f"{stock['rss']:.0f} MB", f"{ours['rss']:.0f} MB",
                          ours["rss"] / stock["rss"], "≤ 1", 1))
        lines.append(_row("proportional memory, all processes (PSS)", f"{stock['pss']:.0f} MB",
                          f"{ours['pss']:.0f} MB", ours["pss"] / stock["pss"], "≤ 1", 1))
        detail = ", ".join(f"{name.split()[-1]} {memory[name]['rss']:.0f} MB" for name in OURS_SERVERS if name in memory)
        lines.append(f"| ClaudIA's processes (RSS, with workers) | | {detail} | | | |")
    cold = results["cold_start"]
    if "stock" in cold and "ClaudIA" in cold:
        lines.append(_row("cold start (start → first answer)", f"{cold['stock']:.1f} s", f"{cold['ClaudIA']:.1f} s",
                          cold["ClaudIA"] / cold["stock"], "≤ 0.5", 0.5))
    train = results["train"]
    if train.get("ClaudIA"):
        stock_train = train.get("stock")
        lines.append(_row("training from scratch", f"{stock_train:.0f} s" if stock_train else "",
                          f"{train['ClaudIA']:.0f} s", train["ClaudIA"] / stock_train if stock_train else None,
                          "< 180 s", verdict=_verdict(train["ClaudIA"], 180, True)))
    cv = results.get("cv")
    if cv:
        lines.append(_row(f"intent F1, {folds}-fold cross-validation (weighted)", "", f"{cv['f1']:.3f}", None,
                          "≥ 0.95"))
        lines += ["", "Worst intents in cross-validation (F1, most confused with):", ""]
        for name, f1, confused in cv["worst"]:
            lines.append(f"- `{name}`: {f1:.3f} {json.dumps(confused, ensure_ascii=False) if confused else ''}")
    soaked = results.get("soak")
    if soaked:
        first, last = soaked["samples"][0][1], soaked["samples"][-1][1]
        lines += ["", f"Soak: {soaked['concurrency']} conversations looping for {soaked['seconds']:.0f} s "
                      f"(request, confirm the structure, decline), {soaked['turns']} turns, {soaked['errors']} errors; "
                      f"resident memory of ClaudIA's servers together, every 10 s (MB): "
                      + ", ".join(f"{mb:.0f}" for _, mb in soaked["samples"])
                      + f" — growth {last - first:+.0f} MB ({(last - first) / first:+.1%})."]
    return lines
