"""Nobody reads or writes what is not theirs: every endpoint of every service's live OpenAPI
document, called by every caller (a facility with its intake key, another facility, the
intake admin, an anonymous caller, a shipper, a carrier and a receiver of one transfer, a
shipper party to nothing, and an official of each of 31/32/33/34), answers exactly the
outcome the matrix below expects; no denial is 2xx, every 401 carries a challenge, and no
answer to a caller shows records it may not see.

An endpoint without an expectation fails the test: a new endpoint cannot be forgotten.
The services run as processes on one broker for the whole module (authorisation_stack)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from authorisation_probes import (
    ADMITTED,
    CALLERS,
    INVALID,
    OK,
    TOKEN_HOLDERS,
    Probe,
    Request,
    Secrets,
    a_client,
    admin_only,
    body,
    fresh,
    own_facility,
    probe_everyone,
    public,
    tokens,
)
from authorisation_stack import (
    ADMIN_TOKEN,
    CARRIER,
    CELL,
    CELL_NAME,
    DISTRICT,
    FACILITY,
    FLOW_KG,
    OCCURRED,
    OTHER_FACILITY,
    PERIOD,
    RECEIVER,
    SHIPPER,
    SPARE_FACILITY,
    TAG,
    Caller,
    World,
    a_cell,
    a_facility,
    a_report,
    application_details,
    key_caller,
    manifest_body,
    running_services,
    set_up_intake,
    set_up_scoring,
    set_up_transfer,
    token_callers,
)

pytestmark = pytest.mark.integration


def csv_report(world: World, caller: Caller) -> Request:
    header = "event_id,cell_id,stage,category,quantity,unit,occurred_at"
    row = f"ev-csv-{TAG}-{caller.name},{CELL},generated,household_wet,10,kg,{OCCURRED}"
    return Request(content=f"{header}\n{row}\n", headers={"Content-Type": "text/csv"})


def sign_in(world: World, caller: Caller) -> Request:
    return Request(json={"token": caller.credential} if caller.credential else {})


def void_request(world: World, caller: Caller) -> Request:
    """The second flow is voided (once: the facility's call); the first stays for reads."""
    void = {"event_id": f"void-{TAG}-{caller.name}", "reason": "entered twice"}
    return Request(paths={"event_id": world.ids["void_event"]}, json=void)


def spare_cell(world: World, caller: Caller) -> Request:
    return Request(paths={"cell_id": f"{CELL}-spare"}, json=a_cell(f"{CELL}-spare"))


def manifest_correction(world: World, caller: Caller) -> Request:
    waste = manifest_body(world.ids["approval_id"])["waste"] | {"quantity_kg": 990}
    return Request(json={"waste": waste, "reason": "weighed again"})


SPARE = {"facility_id": SPARE_FACILITY}  # admin writes: never the facilities in use
INTAKE: dict[tuple[str, str], Probe] = {
    ("GET", "/healthz"): Probe(public()),
    ("GET", "/readyz"): Probe(public()),
    ("POST", "/v1/facilities/{facility_id}/events"): Probe(own_facility(), fresh(a_report)),
    ("POST", "/v1/facilities/{facility_id}/events/batch"): Probe(
        own_facility(), fresh(lambda i: [a_report(i)])
    ),
    ("POST", "/v1/facilities/{facility_id}/events/csv"): Probe(own_facility(), csv_report),
    ("POST", "/v1/facilities/{facility_id}/events/{event_id}/corrections"): Probe(
        own_facility(), fresh(lambda i: a_report(i, 4000.0) | {"reason": "weighbridge"})
    ),
    ("POST", "/v1/facilities/{facility_id}/events/{event_id}/void"): Probe(
        own_facility() | {"facility": ADMITTED},  # one void; a second is 409
        void_request,
    ),
    ("GET", "/v1/facilities/{facility_id}/events"): Probe(
        own_facility(), lambda w, c: Request(params={"limit": "10"})
    ),
    ("GET", "/v1/facilities/{facility_id}/events/{event_id}"): Probe(own_facility()),
    ("GET", "/v1/facilities/{facility_id}/summary/daily"): Probe(
        own_facility(), lambda w, c: Request(params={"date": OCCURRED[:10]})
    ),
    ("PUT", "/v1/admin/cells/{cell_id}"): Probe(admin_only(), spare_cell),
    ("GET", "/v1/admin/cells/{cell_id}"): Probe(admin_only()),
    ("PUT", "/v1/admin/facilities/{facility_id}"): Probe(
        admin_only(), lambda w, c: Request(paths=SPARE, json=a_facility(SPARE_FACILITY))
    ),
    ("GET", "/v1/admin/facilities/{facility_id}"): Probe(
        admin_only(), lambda w, c: Request(paths=SPARE)
    ),
    ("POST", "/v1/admin/facilities/{facility_id}/api-keys"): Probe(
        admin_only(), lambda w, c: Request(paths=SPARE)
    ),
}

# The transfer: SHIPPER (Jiangsu, 32) to RECEIVER (Shanghai, 31), carried by CARRIER. Reads:
# its parties and the officials of 31 and 32. Each step: one role (403 for the others), the
# parties of the record only (403), then the owner's rules (the right party, the state).
APPLICATION_READERS = tokens(shipper=OK, receiver=OK, official_31=OK, official_32=OK)
MANIFEST_READERS = APPLICATION_READERS | {"carrier": OK}
SEARCHERS = tokens(**dict.fromkeys(TOKEN_HOLDERS, OK))  # each finds only its own records
ORIGIN_STEP = tokens(official_32=ADMITTED)  # 31 is refused by the owner: not its step
TRUCK = {"vehicle": "苏E12345", "transport_permit": "苏交运危 320500001", "route": "G2"}
RECEIPT = {"accepted_kg": 1000, "refused_kg": 0, "method": "R4", "observed_code": "900-041-49",
           "observed_form": "solid", "observed_packaging": "steel drums"}  # fmt: skip
APPLY = {"details": application_details()}
HAZARDOUS: dict[tuple[str, str], Probe] = {
    ("GET", "/healthz"): Probe(public()),
    ("GET", "/readyz"): Probe(public()),
    ("GET", "/applications/{application_id}"): Probe(APPLICATION_READERS),
    ("GET", "/applications"): Probe(SEARCHERS),
    ("POST", "/applications"): Probe(tokens(shipper=OK), body(APPLY)),
    ("POST", "/applications/{application_id}/corrections"): Probe(
        ORIGIN_STEP, body({"items": ["licence copy"]})
    ),
    ("POST", "/applications/{application_id}/resubmission"): Probe(
        tokens(shipper=ADMITTED), body(APPLY)
    ),
    ("POST", "/applications/{application_id}/acceptance"): Probe(ORIGIN_STEP),
    ("POST", "/applications/{application_id}/consultation"): Probe(ORIGIN_STEP),
    ("POST", "/applications/{application_id}/answer"): Probe(
        tokens(official_31=ADMITTED), body({"agreed": True})
    ),
    ("POST", "/applications/{application_id}/approval"): Probe(ORIGIN_STEP),
    ("POST", "/applications/{application_id}/refusal"): Probe(
        ORIGIN_STEP, body({"reasons": ["no"]})
    ),
    ("GET", "/manifests/{manifest_no}"): Probe(MANIFEST_READERS),
    ("GET", "/manifests/{manifest_no}/history"): Probe(MANIFEST_READERS),
    ("GET", "/manifests"): Probe(SEARCHERS),
    ("POST", "/manifests"): Probe(
        tokens(shipper=OK), lambda w, c: Request(json=manifest_body(w.ids["approval_id"]))
    ),
    ("POST", "/manifests/{manifest_no}/pickup"): Probe(tokens(carrier=ADMITTED), body(TRUCK)),
    ("POST", "/manifests/{manifest_no}/handovers"): Probe(tokens(carrier=ADMITTED), body(TRUCK)),
    ("POST", "/manifests/{manifest_no}/delivery"): Probe(tokens(carrier=ADMITTED)),
    ("POST", "/manifests/{manifest_no}/receipt"): Probe(tokens(receiver=ADMITTED), body(RECEIPT)),
    ("POST", "/manifests/{manifest_no}/processing"): Probe(tokens(receiver=ADMITTED)),
    ("POST", "/manifests/{manifest_no}/corrections"): Probe(
        tokens(shipper=ADMITTED),
        manifest_correction,
    ),
    ("POST", "/manifests/{manifest_no}/receipt-corrections"): Probe(
        tokens(receiver=ADMITTED), body(RECEIPT | {"reason": "recounted"})
    ),
}

# Scoring: the officials of Shanghai (31) only.
SHANGHAI = tokens(official_31=OK)
SURVEY = {"kind": "survey", "occurred_at": OCCURRED, "assessor": "official-31",
          "satisfaction_score": 90}  # fmt: skip
SCORING: dict[tuple[str, str], Probe] = {
    ("GET", "/healthz"): Probe(public()),
    ("GET", "/readyz"): Probe(public()),
    ("GET", "/v1/cells/{cell_id}/totals"): Probe(SHANGHAI),
    ("GET", "/v1/cells/{cell_id}/scores/{period}"): Probe(SHANGHAI),
    ("GET", "/v1/cells/{cell_id}/scores"): Probe(SHANGHAI),
    ("GET", "/v1/cells/{cell_id}/flows/{period}"): Probe(SHANGHAI),
    ("GET", "/v1/rankings"): Probe(SHANGHAI, lambda w, c: Request(params={"period": PERIOD})),
    ("GET", "/v1/city/summary"): Probe(SHANGHAI, lambda w, c: Request(params={"period": PERIOD})),
    ("GET", "/v1/events/stream"): Probe(SHANGHAI),
    ("POST", "/v1/cells/{cell_id}/assessments"): Probe(
        SHANGHAI, fresh(lambda i: SURVEY | {"assessment_id": i})
    ),
    ("GET", "/v1/session"): Probe(SHANGHAI),
    # signing in: the credential decides (a facility's key or the admin token is no token)
    ("POST", "/v1/session"): Probe(SHANGHAI | {"anonymous": INVALID}, sign_in),
    ("DELETE", "/v1/session"): Probe(public()),
}
MATRIX = {"waste-intake": INTAKE, "hazardous-transfer": HAZARDOUS, "scoring": SCORING}
# What only the entitled may ever see in an answer (besides what they sent themselves).
SECRETS = {
    "waste-intake": Secrets(frozenset({str(FLOW_KG)}), frozenset({"facility"})),
    "hazardous-transfer": Secrets(
        frozenset({SHIPPER, CARRIER, RECEIVER}),
        frozenset({"shipper", "carrier", "receiver", "official_31", "official_32"}),
    ),
    "scoring": Secrets(frozenset({CELL_NAME, DISTRICT}), frozenset({"official_31"})),
}


@pytest.fixture(scope="module")
def world(kafka_bootstrap: str) -> Iterator[World]:
    with running_services(kafka_bootstrap) as (prefix, urls):
        callers = token_callers()
        intake = set_up_intake(urls["waste-intake"])
        callers |= {
            "facility": key_caller("facility", intake["facility_key"], FACILITY),
            "other_facility": key_caller("other_facility", intake["other_key"], OTHER_FACILITY),
            "admin": key_caller("admin", ADMIN_TOKEN),
            "anonymous": key_caller("anonymous", None),
        }
        transfer = set_up_transfer(urls["hazardous-transfer"], callers)
        set_up_scoring(kafka_bootstrap, prefix, urls["scoring"], callers["official_31"])
        paths = {"facility_id": FACILITY, "event_id": intake["event"], "cell_id": CELL,
                 "period": PERIOD, "application_id": transfer["application_id"],
                 "manifest_no": transfer["manifest_no"]}  # fmt: skip
        yield World(urls, callers, paths, intake | transfer)


def operations(url: str) -> set[tuple[str, str]]:
    document = httpx.get(f"{url}/openapi.json", timeout=30).json()
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


@pytest.mark.parametrize("service", list(MATRIX))
def test_the_matrix_has_an_expectation_for_every_endpoint_and_caller(
    world: World, service: str
) -> None:
    live = operations(world.urls[service])
    matrix = MATRIX[service]

    assert sorted(live - set(matrix)) == [], "endpoints the matrix forgot"
    assert sorted(set(matrix) - live) == [], "expectations of endpoints that are gone"
    for key, probe in matrix.items():
        assert set(probe.expect) == set(CALLERS), f"{key}: callers without an expectation"
    assert set(world.callers) == set(CALLERS)


@pytest.mark.parametrize("service", list(MATRIX))
def test_every_caller_gets_exactly_what_the_matrix_allows(world: World, service: str) -> None:
    with ThreadPoolExecutor(len(CALLERS)) as pool, a_client(world.urls[service]) as client:
        found = [
            problem
            for key, probe in MATRIX[service].items()
            for problem in probe_everyone(pool, client, SECRETS[service], world, key, probe)
        ]

    assert found == [], "\n".join(found)
