"""Numbers over HTTP stay gap-free: concurrent clients, idempotent retries, a server killed mid-answer."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from lettergen.config import load_config
from lettergen.issuing import open_register
from tests.service_fixtures import TESTS_DIR, Server, create_token, sample_json, write_settings

CLIENTS, EACH = 8, 25


def seq_of(number: str) -> int:
    return int(re.search(r"〕(\d+)号$", number).group(1))


def issue(client: httpx.Client, key: str | None = None, data: dict | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/letters", json={"kind": "after_sales", "data": data or sample_json("after_sales")},
                       headers=headers)


@pytest.mark.slow
def test_8_clients_x_25_issues_give_200_consecutive_numbers(register_url, tmp_path, server_factory):
    settings = write_settings(tmp_path, register_url, rate_limit=0)
    token = create_token(settings, "load", "issue", "read")
    server = server_factory(settings, workers=2)

    def client_run(_index: int) -> list[str]:
        with server.client(token) as client:
            numbers = []
            for _ in range(EACH):
                response = issue(client)
                assert response.status_code == 201, response.text
                numbers.append(response.json()["number"])
            return numbers

    with ThreadPoolExecutor(CLIENTS) as pool:
        numbers = [n for batch in pool.map(client_run, range(CLIENTS)) for n in batch]
    assert len(numbers) == len(set(numbers)) == CLIENTS * EACH
    assert sorted(seq_of(n) for n in numbers) == list(range(1, CLIENTS * EACH + 1))
    with open_register(load_config(settings)) as register:
        entries = register.list()
        assert [e.status for e in entries] == ["issued"] * CLIENTS * EACH
        assert {e.actor for e in entries} == {"key:load"}
        assert register.verify().ok
    logged = [line for line in server.access_lines() if line["route"] == "/letters"]
    assert len(logged) == CLIENTS * EACH and {line["key"] for line in logged} == {"load"}


def test_retry_with_the_same_key_returns_the_same_letter(service):
    server, token, settings = service
    with server.client(token) as client:
        first = issue(client, "order-1")
        again = issue(client, "order-1")
        other = issue(client, "order-2")
        changed = issue(client, "order-1", data={**sample_json("after_sales"), "price": "1.00"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert again.json()["number"] == first.json()["number"] and again.json()["replayed"] is True
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert seq_of(other.json()["number"]) == seq_of(first.json()["number"]) + 1  # the retry took no number
    assert changed.status_code == 409 and "不同的请求" in changed.json()["detail"]


def test_keys_of_different_clients_do_not_collide(service):
    server, token, settings = service
    second = create_token(settings, "second", "issue")
    with server.client(token) as a, server.client(second) as b:
        assert issue(a, "same").json()["number"] != issue(b, "same").json()["number"]


def test_invalid_request_does_not_burn_the_key(service):
    server, token, _settings = service
    with server.client(token) as client:
        bad = issue(client, "fix-me", data={**sample_json("after_sales"), "service_type": "修理"})
        fixed = issue(client, "fix-me")
    assert bad.status_code == 422 and fixed.status_code == 201 and seq_of(fixed.json()["number"]) == 1


def test_concurrent_requests_with_one_key_issue_one_letter(service):
    server, token, settings = service

    def send(_i: int) -> httpx.Response:
        with server.client(token) as client:
            return issue(client, "burst")

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    ok = [r for r in responses if r.status_code == 201]
    busy = [r for r in responses if r.status_code == 409]
    assert ok and len(ok) + len(busy) == 8
    assert {r.json()["number"] for r in ok} == {ok[0].json()["number"]}
    assert all(r.headers.get("retry-after") for r in busy)
    with open_register(load_config(settings)) as register:
        assert len(register.list()) == 1


def test_retry_after_the_server_was_killed_between_commit_and_answer(tmp_path, server_factory):
    settings = write_settings(tmp_path)
    token = create_token(settings, "erp", "issue", "read")
    crashing = Server(settings, script=TESTS_DIR / "crashing_server.py").start()
    try:
        with crashing.client(token) as client, pytest.raises(httpx.HTTPError):
            issue(client, "erp-7781")  # the server dies before it answers
        crashing.proc.wait(10)
        assert crashing.proc.returncode == -9
    finally:
        crashing.kill9()
    with open_register(load_config(settings)) as register:
        [committed] = register.list()
    assert committed.status == "issued"  # the letter was committed; the client does not know its number
    server = server_factory(settings)
    with server.client(token) as client:
        retry = issue(client, "erp-7781")
        fresh = issue(client)
    assert retry.status_code == 201 and retry.json()["number"] == committed.number and retry.json()["replayed"]
    assert seq_of(fresh.json()["number"]) == seq_of(committed.number) + 1
    with open_register(load_config(settings)) as register:
        assert len(register.list()) == 2 and register.verify().ok
