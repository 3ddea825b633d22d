"""Bad input gets a 4xx problem+json and changes nothing."""

from __future__ import annotations

import pytest

from tests.support import API, Api, assert_problem


async def test_unknown_field_is_rejected(api: Api) -> None:
    owner = await api.user()
    response = await api.request("POST", "/projects", owner, json={"name": "x", "owner_id": 1})
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "owner_id"]
    assert (await api.request("GET", "/projects", owner)).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "expires_in_days": False},
        {"name": "x", "expires_in_days": "30"},
        {"name": 12},
        {"name": "x", "expires_in_days": 0},
    ],
)
async def test_no_silent_coercion(api: Api, body: dict[str, object]) -> None:
    user = await api.user()
    assert_problem(await api.request("POST", "/me/tokens", user, json=body), 422)
    assert len((await api.request("GET", "/me/tokens", user)).json()) == 1


async def test_malformed_json_is_400(api: Api) -> None:
    owner = await api.user()
    response = await api.request(
        "POST",
        "/projects",
        owner,
        content=b'{"name": "x",',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400)
    assert (await api.request("GET", "/projects", owner)).json() == []


async def test_wrong_body_type_is_422(api: Api) -> None:
    owner = await api.user()
    assert_problem(await api.request("POST", "/projects", owner, json=["x"]), 422)
    assert_problem(await api.request("POST", "/projects", owner), 422)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": "x"}', "text/plain"),  # JSON, but not sent as JSON
        (b'{"name": "x"}', None),
        (b"name=x", "application/x-www-form-urlencoded"),
        (b"hello", "application/json"),  # said to be JSON, and is not
        (b'{"name": "x",', "application/json"),
    ],
)
async def test_a_body_that_is_not_json_says_so(
    api: Api, content: bytes, content_type: str | None
) -> None:
    owner = await api.user()
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.request("POST", "/projects", owner, content=content, headers=headers)
    problem = assert_problem(response, 400)
    assert problem["title"] == "Request body is not JSON"
    assert problem["type"] == "urn:laneway:problem:body-not-json"
    assert "Content-Type: application/json" in problem["detail"]
    assert "dictionary" not in response.text
    assert (await api.request("GET", "/projects", owner)).json() == []


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b'["x"]', "an array"),
        (b'"x"', "a string"),
        (b"3", "a number"),
        (b"true", "true or false"),
        (b"null", "null"),
        (b"", "no body"),
    ],
)
async def test_json_that_is_no_object_says_so(api: Api, content: bytes, named: str) -> None:
    owner = await api.user()
    response = await api.request(
        "POST", "/projects", owner, content=content, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert problem["title"] == "Request body is not a JSON object"
    assert named in problem["detail"]
    assert "dictionary" not in response.text
    assert (await api.request("GET", "/projects", owner)).json() == []


async def test_the_document_declares_what_bodies_and_preconditions_answer(api: Api) -> None:
    """Every operation that reads a JSON body declares the 400 (not JSON) and the 422 (not an
    object, or not the schema); every one that reads If-Match, the 400 (malformed), the 412
    and the 428; and the 400's description says its title tells which."""
    document = (await api.client.get("/openapi.json")).json()
    checked = {"body": 0, "If-Match": 0}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation.get("responses", {}))
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                checked["body"] += 1
                assert {"400", "422"} <= declared, (method, path)
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if "If-Match" in headers:
                checked["If-Match"] += 1
                assert {"400", "412", "428"} <= declared, (method, path)
            if "400" in declared:
                assert "the title says which" in operation["responses"]["400"]["description"]
    assert checked["body"] > 20
    assert checked["If-Match"] == 3


async def test_oversized_body_is_413(api: Api) -> None:
    owner = await api.user()
    huge = {"name": "x", "description": "a" * (1024 * 1024 + 1)}
    assert_problem(await api.request("POST", "/projects", owner, json=huge), 413)

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "x", "description": "'
        for _ in range(1100):
            yield b"a" * 1024
        yield b'"}'

    streamed = await api.client.post(
        f"{API}/projects",
        content=chunks(),
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)
    assert (await api.request("GET", "/projects", owner)).json() == []


async def test_bad_path_parameter_is_422(api: Api) -> None:
    owner = await api.user()
    assert_problem(await api.request("GET", "/projects/not-a-number", owner), 422)


async def test_unknown_route_and_method(api: Api) -> None:
    assert_problem(await api.request("GET", "/nowhere"), 404)
    assert_problem(await api.request("PUT", "/projects"), 405)


async def test_problem_carries_the_request_id(api: Api) -> None:
    request_id = "5b8f6c1e-2a4d-4c1b-9a57-3e0f2d6b7c8a"
    response = await api.request("GET", "/me", headers={"X-Request-ID": request_id})
    body = assert_problem(response, 401)
    assert body["request_id"] == request_id
    assert response.headers["x-request-id"] == body["request_id"]
