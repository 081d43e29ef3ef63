"""What every schemathesis run against a live service shares: the checks, a bounded and
reproducible generation, and how a generated request is sent as a given caller.

Each service's module starts the service as deployed, loads its ``/openapi.json`` and runs
two tests over every operation: one with a valid identity (deep paths: the caller is allowed,
so the request reaches the rules behind the authentication) and one anonymous.

Each operation is a subtest (pytest's ``subtests``) running a Hypothesis test over
schemathesis' own strategies, valid and invalid input, checked with schemathesis' checks.
Not ``schemathesis.pytest.from_fixture``: its 4.32 loader sets ``Item._nodeid``, which
pytest 9 no longer has, so every test built with it errors before sending a request.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Requests per operation and caller, valid and invalid input mixed (a deeper search by hand:
# HOSTILE_MAX_EXAMPLES=500).
MAX_EXAMPLES = int(os.environ.get("HOSTILE_MAX_EXAMPLES", "25"))
# Anonymous requests stop at authentication (or at reading the body): fewer show it.
ANONYMOUS_EXAMPLES = max(1, MAX_EXAMPLES // 2)
# Headers through which a caller says who it is; an anonymous request carries none.
CREDENTIAL_HEADERS = ("authorization",)


def load_schema(base_url: str) -> schemathesis.BaseSchema:
    """The live service's own OpenAPI document, as it serves it."""
    config = schemathesis.Config.from_dict({"request-timeout": 30})
    schema: schemathesis.BaseSchema = schemathesis.openapi.from_url(
        f"{base_url}/openapi.json", config=config
    )
    return schema


def operations(schema: schemathesis.BaseSchema) -> list[Operation]:
    """Every operation of the document; one that schemathesis cannot read fails the test."""
    found: list[Operation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found


def fuzz(
    operation: Operation,
    send: Callable[[Case], schemathesis.Response],
    path_parameters: Mapping[str, str] | None = None,
    max_examples: int = MAX_EXAMPLES,
) -> Counter[int]:
    """Sends ``max_examples`` generated requests of the operation, valid and invalid alike,
    through ``send``; the same ones on every run (derandomised, no example database), no
    deadline per request (the machine is shared and slow), no shrinking (a failure is
    reported as found, with its request). Returns how often each status was answered."""
    statuses: Counter[int] = Counter()
    fixed = {k: v for k, v in (path_parameters or {}).items() if k in _path_names(operation)}
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed or None),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed or None),
    )

    @settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def requests_of_the_operation(case: Case) -> None:
        statuses[send(case).status_code] += 1

    requests_of_the_operation()
    return statuses


def assert_past_authentication(statuses: Counter[int]) -> None:
    """A run with a valid identity that only ever met 401 tested nothing behind it."""
    assert set(statuses) - {401}, f"every request was refused as unauthenticated: {statuses}"


def _path_names(operation: Operation) -> set[str]:
    return {p.name for p in operation.path_parameters}


def without_credentials(case: Case) -> None:
    """Makes the generated request anonymous: no header says who is calling."""
    for name in list(case.headers or {}):
        if name.lower() in CREDENTIAL_HEADERS:
            del case.headers[name]


def call_as(case: Case, identity: Mapping[str, str]) -> schemathesis.Response:
    """Sends the generated request as the caller ``identity`` names (its headers replace any
    generated credential) and applies every check."""
    without_credentials(case)
    headers: dict[str, Any] = dict(identity)
    return case.call_and_validate(headers=headers, checks=CHECKS)


def call_anonymously(case: Case) -> schemathesis.Response:
    without_credentials(case)
    return case.call_and_validate(checks=CHECKS)


def fuzz_anonymously(operation: Operation, max_examples: int = ANONYMOUS_EXAMPLES) -> Counter[int]:
    return fuzz(operation, call_anonymously, max_examples=max_examples)
