"""Verdicts against the targets, and the results table (for the report and the terminal)."""

from __future__ import annotations

from typing import Any

from scenarios import QUERY_NAMES, Scenario


def ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def verdict(scenario: Scenario, result: dict[str, Any], floor: dict[str, Any],
            queries: dict[str, Any]) -> str:  # fmt: skip
    if scenario.key == "flash":
        return flash_verdict(result)
    problems: list[str] = []
    checked = False
    ratio = result["rps"] / floor["rps"] if floor.get("rps") else None
    if scenario.min_ratio is not None and ratio is not None:
        checked = True
        if ratio < scenario.min_ratio:
            short = 100 * (1 - ratio / scenario.min_ratio)
            problems.append(
                f"{ratio:.2f}x < {scenario.min_ratio}x ({short:.0f}% short; needs "
                f"{scenario.min_ratio * floor['rps']:.0f} req/s)"
            )
    if scenario.p99_factor is not None and floor.get("p99_ms"):
        checked = True
        limit = scenario.p99_factor * floor["p99_ms"]
        if result["p99_ms"] > limit:
            problems.append(
                f"p99 {result['p99_ms']:.0f} ms > {scenario.p99_factor:g}x floor p99 "
                f"({limit:.0f} ms)"
            )
    if scenario.max_p99_ms is not None:
        checked = True
        if result["p99_ms"] > scenario.max_p99_ms:
            problems.append(f"p99 {result['p99_ms']:.0f} ms > {scenario.max_p99_ms:g} ms")
    if scenario.max_queries is not None and scenario.query_key:
        cold = queries.get("cold", {}).get(scenario.query_key, {})
        if cold.get("max") is not None:
            checked = True
            if cold["max"] > scenario.max_queries:
                problems.append(f"{cold['max']} queries > {scenario.max_queries}")
    if result["errors_total"]:
        problems.append(f"{result['errors_total']} errors")
    if scenario.key == "room":
        problems += room_problems(result)
    if not checked:
        return "no target" + (f"; {problems[-1]}" if problems else "")
    return "met" if not problems else "MISSED: " + "; ".join(problems)


def flash_verdict(result: dict[str, Any]) -> str:
    sale = result.get("sale", {})
    problems = []
    if sale.get("orders_per_s", 0) < 100:
        problems.append(f"{sale.get('orders_per_s', 0):.0f} orders/s < 100")
    if sale.get("oversell", 1):
        problems.append(f"oversell {sale.get('oversell')}")
    if not sale.get("stock_consistent"):
        problems.append("final stock inconsistent")
    if result["5xx"]:
        problems.append(f"{result['5xx']} 5xx")
    return "met" if not problems else "MISSED: " + "; ".join(problems)


def room_problems(result: dict[str, Any]) -> list[str]:
    """The waiting-room sale's own targets: no oversell, nobody over the limit, no 5xx."""
    room = result.get("room", {})
    db = room.get("db", {})
    problems = []
    if db.get("oversell", 1) or not db.get("stock_consistent"):
        problems.append(f"oversell {db.get('oversell')}, stock {db.get('final_stock')}")
    if db.get("breaches", 1):
        problems.append(f"{db.get('breaches')} customers over the limit")
    if room.get("5xx", 1):
        problems.append(f"{room.get('5xx')} 5xx in the sale")
    # The bench's own check: the room must let the crowd through before the time limit.
    stranded = room.get("outcomes", {}).get("unfinished", 0)
    if stranded:
        problems.append(f"{stranded} shoppers still waiting at the time limit")
    return problems


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def results_table(ran: list[tuple[Scenario, dict[str, Any]]], floor: dict[str, Any],
                  queries: dict[str, Any]) -> list[str]:  # fmt: skip
    rows = [
        "| Scenario | Server | URLs | req/s | x floor | p50 ms | p99 ms | Errors | "
        "Other load | Queries/req (cold / warm, max) | Target | Result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for scenario, result in ran:
        ratio = result["rps"] / floor["rps"] if floor.get("rps") else None
        target = []
        if scenario.min_ratio is not None:
            target.append(f"≥ {scenario.min_ratio}x floor")
        if scenario.p99_factor is not None:
            target.append(f"p99 ≤ {scenario.p99_factor:g}x floor")
        if scenario.max_queries is not None:
            target.append(f"≤ {scenario.max_queries} queries")
        if scenario.key == "flash":
            target.append("≥ 100 orders/s, 0 oversell, 0 5xx")
        if scenario.key == "room":
            target.append("sale: 0 oversell, 0 over the limit, 0 5xx")
        qkey = scenario.query_key or (scenario.urls if scenario.urls in QUERY_NAMES else None)
        qtext = "—"
        if qkey:
            cold = queries.get("cold", {}).get(qkey, {}).get("max")
            warm = queries.get("warm", {}).get(qkey, {}).get("max")
            qtext = f"{cold if cold is not None else '?'} / {warm if warm is not None else '?'}"
        errors = str(result["errors_total"])
        if result["errors_total"]:
            floor_status = 500 if scenario.key == "flash" else 400
            detail = {str(k): v for k, v in result["statuses"].items() if k >= floor_status}
            if scenario.key == "flash":
                extra = result.get("extra", {})
                detail.update({k: int(v) for k, v in extra.items() if "_other_" in k})
            detail.update({k: v for k, v in result["socket_errors"].items() if v})
            errors += f" ({', '.join(f'{k}: {v}' for k, v in detail.items())})"
        server = {"warm": "cache on", "cold": "cache off"}[scenario.server]
        rows.append(
            f"| {scenario.label} | {server} | {urls_text(scenario, result)} | "
            f"{result['rps']:.0f} | {ratio_text(ratio)} | "
            f"{fmt_ms(result['p50_ms'])} | {fmt_ms(result['p99_ms'])} | {errors} | "
            f"{result.get('other_cpu_pct', 0):.0f}% | {qtext} | "
            f"{', '.join(target) or '—'} | {verdict(scenario, result, floor, queries)} |"
        )
    return rows


def urls_text(scenario: Scenario, result: dict[str, Any]) -> str:
    if scenario.key == "cart":
        return "shoppers x variants"
    if scenario.key == "flash":
        return "1 variant"
    if scenario.key == "room":
        return f"{result.get('urls') or 0:,} outside the sale"
    return f"{result['urls']:,}" if result.get("urls") else "—"


def reference_floor(ran: list[tuple[Scenario, dict[str, Any]]]) -> dict[str, Any]:
    """The /healthz run (first or last scenario) with more requests per second."""
    floors = [result for scenario, result in ran if scenario.key in ("floor", "floor_end")]
    return max(floors, key=lambda result: result["rps"], default={})


def print_table(ran: list[tuple[Scenario, dict[str, Any]]], floor: dict[str, Any],
                queries: dict[str, Any]) -> None:  # fmt: skip
    print()
    print(
        f"{'scenario':<34}{'req/s':>8}{'xfloor':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  result"
    )
    for scenario, result in ran:
        ratio = result["rps"] / floor["rps"] if floor.get("rps") else None
        print(
            f"{scenario.label[:33]:<34}{result['rps']:>8.0f}{ratio_text(ratio):>8}"
            f"{result['p50_ms']:>9.1f}{result['p99_ms']:>9.1f}{result['errors_total']:>8}  "
            f"{verdict(scenario, result, floor, queries)}"
        )
    print()
