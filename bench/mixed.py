"""Mixed-load benchmark: the three services together under a sustained mixed load, against
each kind of load alone, in the same run on the same machine (the ratios mixed / alone are
the figures: the machine is shared and noisy).

Run (needs a container engine for testcontainers; on our machines first
``eval "$(bash deploy/podman/setup-host.sh)"``):

    uv run python bench/mixed.py [--seconds 60] [--alone-seconds 15] [--single-rate 50]
        [--batch-rate 150] [--batch-size 50] [--manifest-rate 4] [--read-rate 20]

It starts its own Kafka broker (zw_shared.testing.kafka.KafkaBroker) and every process as
deployed: ``waste-intake-api`` and ``-worker``, ``scoring-worker`` and ``-api``,
``hazardous-transfer-worker`` and ``-api`` (one node serving 31 and 32). The load, each
kind paced on its own schedule (a late request goes out at once, so a slow server gets the
missed requests back to back; what is still due when the phase's window closes is not sent):

- flows: single POSTs at ``--single-rate`` over ``--lanes`` facilities (one cell and one
  keep-alive connection each) and batch POSTs of ``--batch-size`` at ``--batch-rate``
  events/s; ``--probe-cells`` of the single-POST cells are polled on the scoring API for
  their totals: a POST is visible at the first answer that counts it (POST-to-score);
- manifests: started at ``--manifest-rate`` per second, each drafted by the shipper, picked
  up, handed over and delivered by two carriers, received and processed by the receiver,
  every step a POST to the transfer API answered after the worker's verdict;
- officials' reads on the scoring API at ``--read-rate``: a cell's month score, rankings,
  the city summary (3:1:1).

Phases: manifests alone, flows alone, reads alone (``--alone-seconds`` each), then all three
at once (``--seconds``). After each phase the bench waits (at most ``--drain-limit-s``) for
every consumer group to catch up. Measured per phase: accepted events/s per kind, p50/p99 of
each API, POST-to-score p50/p99, consumer lag per group (sampled every ``--sample-s``: the
most and at the end of the load; bench/_lag.py says what an offset of lag counts), resident
memory (at the end and the most) and CPU of each service process. Prints a table, then one
JSON line (last). Default run: about 4 minutes.
"""

from __future__ import annotations

import sys

# bench/scoring.py is named like the scoring package: look in this folder last.
if sys.path and sys.path[0] == __import__("os").path.dirname(__file__):
    sys.path.append(sys.path.pop(0))

import argparse
import asyncio
import json
import os
import statistics
import time
from contextlib import suppress
from typing import Any

from _common import Act, Http, Lane, paced, percentile, poll_lane, post_lane, report, tree_rss_mb
from _lag import LagGauge
from _stack import Stack, running_stack
from transfer import STEPS

from zw_shared.testing.identities import actor_headers, official_headers
from zw_shared.testing.kafka import KafkaBroker

KINDS = {  # the alone phases run in this order
    "manifests": ("manifest_transitions",),
    "flows": ("flow_single", "flow_batch"),
    "reads": ("official_reads",),
}
APIS = {
    "flow_single": "intake_single_post",
    "flow_batch": "intake_batch_post",
    "manifest_transitions": "transfer_command_post",
    "official_reads": "scoring_read",
}


class Tally:
    """Answers of one kind of request: accepted events, latencies, errors."""

    def __init__(self) -> None:
        self.accepted, self.errors, self.first_error = 0, 0, ""
        self.latencies: list[float] = []
        self.last = 0.0

    def answer(self, began: float, status: int, body: bytes, events: int = 1) -> bool:
        self.last = time.perf_counter()
        self.latencies.append(self.last - began)
        if status < 300:
            self.accepted += events
            return True
        self.errors += 1
        self.first_error = self.first_error or f"{status}: {body[:200]!r}"
        return False


async def spread(port: int, rate: float, window: tuple[float, float], act: Act) -> None:
    """``act(http, k)`` at ``rate`` per second over a few connections."""
    connections = max(1, min(8, int(rate // 5)))
    interval = connections / rate
    start, until = window

    def on(j: int) -> Act:  # connection j sends the requests j, j + connections, ...
        return lambda http, k: act(http, k * connections + j)

    await asyncio.gather(
        *(paced(port, interval, (start + j / rate, until), on(j), True) for j in range(connections))
    )


# --- the three kinds of load


async def flows(
    s: Stack, lanes: list[Lane], tally: dict[str, Tally], window: tuple[float, float]
) -> None:
    args = s.args
    batched = lanes[args.probe_cells :] or lanes
    single = tally["flow_single"]

    async def batch(http: Http, k: int) -> None:
        lane = batched[k % len(batched)]
        body = json.dumps([report(i, f"b{k}") for i in range(args.batch_size)]).encode()
        began = time.perf_counter()
        path = f"/v1/facilities/{lane.facility_id}/events/batch"
        status, answer = await http.request("POST", path, body, lane.key)
        accepted = json.loads(answer)["counts"]["accepted"] if status == 200 else 0
        tally["flow_batch"].answer(began, status, answer, accepted)

    interval, port = len(lanes) / args.single_rate, s.ports["intake-api"]
    await asyncio.gather(
        *(post_lane(port, lane, interval, window[1], window[0], True) for lane in lanes),
        spread(port, args.batch_rate / args.batch_size, window, batch),
    )
    for lane in lanes:
        single.latencies += [a - p for p, a in zip(lane.posted, lane.answered, strict=False)]
        single.accepted += len(lane.answered)
        single.last = max([single.last, *lane.answered])


async def manifests(s: Stack, tally: Tally, window: tuple[float, float]) -> None:
    paths = {
        "pick_up": "pickup",
        "hand_over": "handovers",
        "deliver": "delivery",
        "receive": "receipt",
        "process": "processing",
    }
    draft = json.dumps(s.draft).encode()
    start, until = window

    async def lifecycle() -> None:
        http = Http(s.ports["transfer-api"])
        try:
            began = time.perf_counter()
            status, answer = await http.request("POST", "/manifests", draft, headers=s.shipper)
            if not tally.answer(began, status, answer):
                return
            number = json.loads(answer)["record_id"]
            for name, who, body in STEPS:
                if time.perf_counter() >= until:  # the window closed: leave it there
                    return
                path = f"/manifests/{number}/{paths[name.name.lower()]}"
                content = json.dumps(body).encode() if body else b""
                began = time.perf_counter()
                status, answer = await http.request(
                    "POST", path, content, headers=actor_headers(*who)
                )
                if not tally.answer(began, status, answer):
                    return
        finally:
            await http.close()

    running, k = [], 0
    while (due := start + k / s.args.manifest_rate) < until:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        running.append(asyncio.create_task(lifecycle()))
        k += 1
    await asyncio.gather(*running)


async def reads(s: Stack, cells: list[str], tally: Tally, window: tuple[float, float]) -> None:
    official = official_headers("31")
    queries = (f"/v1/rankings?period={s.month}", f"/v1/city/summary?period={s.month}")

    async def read(http: Http, k: int) -> None:
        if k % 5 < 3:
            path = f"/v1/cells/{cells[k % len(cells)]}/scores/{s.month}"
        else:
            path = queries[k % 5 - 3]
        began = time.perf_counter()
        status, answer = await http.request("GET", path, headers=official)
        tally.answer(began, status, answer)

    await spread(s.ports["scoring-api"], s.args.read_rate, window, read)


# --- one phase


class Watch:
    """Consumer lag, resident memory and the load average, sampled while a phase runs."""

    def __init__(self, s: Stack, gauge: LagGauge) -> None:
        self.s, self.gauge = s, gauge
        self.lag_max: dict[str, int] = {}
        self.rss_max: dict[str, float] = {}
        self.load_max = 0.0

    async def sample(self) -> dict[str, int]:
        lag = await self.gauge.sample()
        for group, behind in lag.items():
            self.lag_max[group] = max(self.lag_max.get(group, 0), behind)
        for name, process in self.s.processes.items():
            self.rss_max[name] = max(self.rss_max.get(name, 0.0), tree_rss_mb(process.pid))
        self.load_max = max(self.load_max, os.getloadavg()[0])
        return lag

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.sample()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.s.args.sample_s)

    async def drained(self, limit_s: float) -> tuple[float | None, dict[str, dict[str, int]]]:
        """When every group has caught up (None if not within ``limit_s``), and where each
        group still lags then."""
        deadline = time.perf_counter() + limit_s
        while True:
            behind = await self.gauge.behind()
            if not any(behind.values()):
                return time.perf_counter(), {}
            if time.perf_counter() > deadline:
                return None, {group: parts for group, parts in behind.items() if parts}
            await asyncio.sleep(0.5)


async def phase(
    s: Stack, gauge: LagGauge, name: str, kinds: tuple[str, ...], seconds: float
) -> dict[str, Any]:
    """One phase of load: ``kinds`` at once for ``seconds``, then until the groups caught up."""
    tally = {kind: Tally() for k in kinds for kind in KINDS[k]}
    watch, stop, done = Watch(s, gauge), asyncio.Event(), asyncio.Event()
    sampler = asyncio.create_task(watch.run(stop))
    cpu = {name: process.cpu_seconds() for name, process in s.processes.items()}
    start = time.perf_counter() + 0.5
    window = (start, start + seconds)
    lanes = s.lanes.get(name, [])
    probes = lanes[: s.args.probe_cells] if "flows" in kinds else []
    pollers = [
        asyncio.create_task(
            poll_lane(
                s.ports["scoring-api"], lane, done, s.args.probe_poll_s, official_headers("31")
            )
        )
        for lane in probes
    ]
    loads = {
        "flows": lambda: flows(s, lanes, tally, window),
        "manifests": lambda: manifests(s, tally["manifest_transitions"], window),
        "reads": lambda: reads(s, s.cells(), tally["official_reads"], window),
    }
    await asyncio.gather(*(loads[k]() for k in kinds))
    ended = time.perf_counter()
    busy = {n: 100 * (p.cpu_seconds() - cpu[n]) / (ended - start) for n, p in s.processes.items()}
    stop.set()
    await sampler
    lag_end = await watch.sample()
    rss_end = {name: tree_rss_mb(process.pid) for name, process in s.processes.items()}
    done.set()
    (caught_up, left), _ = await asyncio.gather(
        watch.drained(s.args.drain_limit_s), settle(pollers, s.args.drain_limit_s)
    )
    return {
        "accepted_per_s": {
            k: round(t.accepted / max(t.last - start, 1e-9), 1) for k, t in tally.items()
        },
        "p50_api_ms": {APIS[k]: ms(percentile(t.latencies, 0.50)) for k, t in tally.items()},
        "p99_api_ms": {APIS[k]: ms(percentile(t.latencies, 0.99)) for k, t in tally.items()},
        **post_to_score(probes),
        "consumer_lag_max": watch.lag_max,  # the samples and the one at the end
        "consumer_lag_end": lag_end,
        "drain_s": None if caught_up is None else round(caught_up - ended, 1),
        "lag_left_after_drain_limit": left,
        "rss_mb_by_service": {n: round(mb, 1) for n, mb in rss_end.items()},
        "rss_mb_max_by_service": {n: round(mb, 1) for n, mb in watch.rss_max.items()},
        "cpu_percent_by_service": {n: round(pct, 1) for n, pct in busy.items()},
        "errors": {k: [t.errors, t.first_error] for k, t in tally.items() if t.errors},
        "load_average_1m_max": round(watch.load_max, 2),
        "load_seconds": round(ended - start, 1),
    }


async def settle(pollers: list[asyncio.Task[None]], limit_s: float) -> None:
    """Lets the probe pollers see every POST, for at most ``limit_s``."""
    _, pending = await asyncio.wait(pollers, timeout=limit_s) if pollers else (set(), set())
    for task in pending:
        task.cancel()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def post_to_score(probes: list[Lane]) -> dict[str, Any]:
    if not probes:
        return {}
    seen = [v - p for lane in probes for p, v in zip(lane.posted, lane.visible, strict=False)]
    return {
        "p50_post_to_score_ms": ms(statistics.median(seen)) if seen else None,
        "p99_post_to_score_ms": ms(percentile(seen, 0.99)) if seen else None,
        "post_to_score_samples": len(seen),
        # POSTs the scoring API had not counted when the wait (--drain-limit-s) ended
        "post_to_score_not_seen": sum(len(lane.posted) - len(lane.visible) for lane in probes),
    }


# --- the run


async def measure(args: argparse.Namespace, bootstrap: str) -> dict[str, Any]:
    async with running_stack(args, bootstrap) as s, LagGauge(bootstrap, s.prefix) as gauge:
        alone = {k: await phase(s, gauge, k, (k,), args.alone_seconds) for k in KINDS}
        mixed = await phase(s, gauge, "mixed", tuple(KINDS), args.seconds)
    return summary(args, alone, mixed)


def summary(
    args: argparse.Namespace, alone: dict[str, Any], mixed: dict[str, Any]
) -> dict[str, Any]:
    """The mixed phase's figures at the top, each kind's alone phase as its baseline."""
    base: dict[str, Any] = {"accepted_per_s": {}, "p50_api_ms": {}, "p99_api_ms": {}}
    for figures in alone.values():
        for key in base:
            base[key] |= figures[key]
    base |= {key: alone["flows"][key] for key in ("p50_post_to_score_ms", "p99_post_to_score_ms")}
    ratios = {
        f"{kind}_per_s": ratio(rate, base["accepted_per_s"][kind])
        for kind, rate in mixed["accepted_per_s"].items()
    }
    for key in ("p50_api_ms", "p99_api_ms"):
        prefix = key.split("_")[0]
        ratios |= {f"{prefix}_{api}": ratio(v, base[key][api]) for api, v in mixed[key].items()}
    for key in ("p50_post_to_score_ms", "p99_post_to_score_ms"):
        ratios[key.removesuffix("_ms")] = ratio(mixed[key], base[key])
    targets = {
        "flow_single": args.single_rate,
        "flow_batch": args.batch_rate,
        "manifest_transitions": args.manifest_rate * (1 + len(STEPS)),
        "official_reads": args.read_rate,
    }
    return {
        "accepted_events_per_s": mixed.pop("accepted_per_s"),
        **mixed,
        "baseline_alone": base,
        "ratio_mixed_to_alone": ratios,
        "alone": alone,
        "target_per_s": targets,
        "seconds": args.seconds,
        "alone_seconds": args.alone_seconds,
        "lanes": args.lanes,
        "batch_size": args.batch_size,
        "probe_cells": args.probe_cells,
        "probe_poll_s": args.probe_poll_s,
        "cpus": os.cpu_count(),
    }


def ratio(mixed: float | None, alone: float | None) -> float | None:
    return round(mixed / alone, 2) if mixed is not None and alone else None


def print_table(r: dict[str, Any]) -> None:
    base, ratios, alone = r["baseline_alone"], r["ratio_mixed_to_alone"], r["alone"].values()
    rows = [("", "alone", "mixed", "mixed/alone")]
    for kind, rate in r["accepted_events_per_s"].items():
        name = f"{kind} accepted /s (target {r['target_per_s'][kind]:g})"
        rows.append(
            (name, num(base["accepted_per_s"][kind]), num(rate), num(ratios[f"{kind}_per_s"]))
        )
    for api in r["p99_api_ms"]:
        rows.append(
            (f"{api} p50 / p99 ms", pair(base, api), pair(r, api), num(ratios[f"p99_{api}"]))
        )
    rows.append(
        (
            "POST -> score visible p50 / p99 ms",
            pair(base, "post_to_score"),
            pair(r, "post_to_score"),
            num(ratios["p99_post_to_score"]),
        )
    )
    for group, most in r["consumer_lag_max"].items():
        worst = max(phase["consumer_lag_max"].get(group, 0) for phase in alone)
        end = r["consumer_lag_end"].get(group, 0)
        rows.append((f"lag {group}: most (at end of load)", str(worst), f"{most} ({end})", ""))
    drains = ", ".join(str(phase["drain_s"]) for phase in alone)
    rows.append(("caught up s after the load (None: not in limit)", drains, str(r["drain_s"]), ""))
    for name, mb in r["rss_mb_by_service"].items():
        most, cpu = r["rss_mb_max_by_service"][name], r["cpu_percent_by_service"][name]
        use = f"{mb:.0f} ({most:.0f}), {cpu:.0f}"
        rows.append((f"{name}: RSS MB (most), CPU %", "", use, ""))
    rows.append(
        (
            "load average 1m: before, most, after",
            "",
            f"{r['load_average_1m_before']}, {r['load_average_1m_max']}, {r['load_average_1m']}",
            "",
        )
    )
    if r["errors"]:
        rows.append(("ERRORS (count, first)", "", json.dumps(r["errors"]), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]
        )


def num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def pair(figures: dict[str, Any], name: str) -> str:
    """p50 / p99 of an API (``p50_api_ms``) or of a figure of its own (``p50_<name>_ms``)."""
    if name in figures.get("p99_api_ms", {}):
        return f"{num(figures['p50_api_ms'][name])} / {num(figures['p99_api_ms'][name])}"
    return f"{num(figures[f'p50_{name}_ms'])} / {num(figures[f'p99_{name}_ms'])}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    broker = KafkaBroker().start()
    try:
        result = await measure(args, broker.bootstrap_servers)
    finally:
        broker.stop()
    return result | {
        "load_average_1m_before": round(load_before, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "bench_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--seconds", type=float, default=60, help="the mixed phase")
    add("--alone-seconds", type=float, default=15, help="each kind of load alone")
    add("--single-rate", type=float, default=50, help="single flow POSTs per second")
    add("--batch-rate", type=float, default=150, help="flow events per second in batches")
    add("--batch-size", type=int, default=50, help="events per batch POST")
    add("--manifest-rate", type=float, default=4, help="manifests started per second")
    add("--read-rate", type=float, default=20, help="officials' reads per second")
    add("--lanes", type=int, default=20, help="facilities (one cell each) posting flows")
    add("--probe-cells", type=int, default=3, help="cells polled for POST-to-score")
    add("--probe-poll-s", type=float, default=0.05, help="how often a probe cell is read")
    add("--sample-s", type=float, default=2.0, help="how often lag and memory are sampled")
    add("--drain-limit-s", type=float, default=20, help="the longest wait for the groups")
    result = asyncio.run(run(parser.parse_args()))
    print_table(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
