"""Schemathesis over the public API's OpenAPI document, in process (ASGI, no server): for requests
generated from `/api/openapi.json`, every `/api/v1` route must answer without a server error, with a
status code and content type the document lists, and a body that conforms to the documented schema
(schemathesis' default checks, which also expect schema-valid requests accepted and schema-violating ones
rejected). The one known finding left is narrowed below at its check, with a comment.

The operations are read at import from an app over an empty releases directory (the OpenAPI document
does not depend on the releases; the fixture checks that), so each operation is its own test item; the
requests go to an app over the small demo release the session shares (conftest's `demo_release`).
(`schemathesis.pytest.from_fixture` would read the schema from the fixture instead, but its lazy loader
breaks on pytest 9.2, which no longer has `Function._nodeid`.) Kept bounded by a Hypothesis profile: 100
examples per operation."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    CheckFunction,
    positive_data_acceptance,
)

from ctdhub.publish.app import OPENAPI_URL, create_app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STATS = "/api/v1/stats"
FILES = "/api/v1/releases/{release_id}/files/{path}"
SCHEMA_APP = create_app(Path("/nonexistent/ctdhub-releases"))
schema = schemathesis.openapi.from_asgi(OPENAPI_URL, SCHEMA_APP)

settings.register_profile(
    "api-schema",
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same requests on every run: a finding is reproducible, CI is not flaky
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def app(demo_release: Path) -> FastAPI:
    """An app over the shared demo release (read-only)."""
    served = create_app(demo_release.parent)
    assert served.openapi() == SCHEMA_APP.openapi()
    return served


def excluded_checks(case: schemathesis.Case, url: str) -> list[CheckFunction]:
    """The checks narrowed for this request, each for a known finding."""
    if case.operation.path != STATS:
        return []
    # Finding 1: /stats documents `dims` and the filters as free strings, but answers only the release's
    # dimensions and values (400 StatsError "Unknown dimension ...", e.g. GET /api/v1/stats?dims=X), so a
    # schema-valid request is not always accepted. A 400 is documented, so only this check is dropped.
    # (Finding 2, an empty year_from= answered 200, is fixed: it is a 400 now.)
    return [positive_data_acceptance]


@schema.parametrize()
@settings(settings.get_profile("api-schema"))
def test_api_conforms_to_openapi(case: schemathesis.Case, app: FastAPI) -> None:
    response = case.call(app=app)
    case.validate_response(response, excluded_checks=excluded_checks(case, str(response.request.url)))


def test_published_resources_conform(app: FastAPI) -> None:
    """Generated ids and paths almost never name a real release or file, so the 200 answers of the
    release routes are checked here with the release's own ids and every file it publishes."""
    cases = [
        schema["/api/v1/releases"]["GET"].Case(),
        schema["/api/v1/dictionary"]["GET"].Case(),
        *(schema["/api/v1/tables"]["GET"].Case(query={"release": r}) for r in ("0001", "latest")),
        schema[STATS]["GET"].Case(query={"dims": "gender,ageBroad", "release": "0001", "format": "csv"}),
    ]
    release = schema["/api/v1/releases/{release_id}"]["GET"].Case(path_parameters={"release_id": "0001"})
    response = release.call(app=app)
    release.validate_response(response)
    assert response.status_code == 200
    urls = {u for r in response.json()["resources"] for u in (r["url"], *r["alternates"].values())}
    assert len(urls) > 10
    prefix = "/api/v1/releases/0001/files/"
    cases += [
        schema[FILES]["GET"].Case(path_parameters={"release_id": "0001", "path": u.removeprefix(prefix)})
        for u in sorted(urls)
    ]
    for case in cases:
        response = case.call(app=app)
        assert response.status_code == 200, case.as_curl_command()
        # (Finding 3, the download route documented as JSON only, is fixed: its 200 is documented as */*.)
        case.validate_response(response)
