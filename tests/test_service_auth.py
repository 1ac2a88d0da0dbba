"""Who may do what, against a real server: every scope against every route, 401s, 403s and 429."""
from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from lettergen import api
from lettergen.config import load_config
from lettergen.service.auth import KeyCache, Principal
from tests.service_fixtures import Server, create_token, sample_json, write_settings

SCOPES = ("read", "draft", "issue", "manage")
NUMBER = quote("禾丰催函〔2026〕1号", safe="")
JOB = "J-no-such-job"


def _routes():
    letter = {"kind": "payment_reminder", "data": sample_json("payment_reminder")}
    csv = ("x.csv", "发函日期,客户名称\n".encode(), "text/csv")
    return [
        ("read", "GET", "/kinds", {}),
        ("read", "GET", "/kinds/payment_reminder", {}),
        ("read", "GET", "/letters", {}),
        ("read", "GET", f"/letters/{NUMBER}", {}),
        ("read", "GET", f"/letters/{NUMBER}.docx", {}),
        ("read", "GET", f"/letters/{NUMBER}.pdf", {}),
        ("read", "GET", f"/batches/{JOB}", {}),
        ("read", "GET", f"/batches/{JOB}/events", {}),
        ("read", "GET", f"/batches/{JOB}/files/manifest.csv", {}),
        ("read", "GET", "/register/verify", {"params": {"no_files": "true"}}),
        ("draft", "POST", "/kinds/payment_reminder/validate", {"json": letter["data"]}),
        ("draft", "POST", "/kinds/payment_reminder/drafts", {"json": letter["data"]}),
        ("issue", "POST", "/letters", {"json": letter}),
        ("issue", "POST", "/batches", {"data": {"kind": "payment_reminder"}, "files": {"file": csv}}),
        ("manage", "POST", f"/letters/{NUMBER}/void", {"json": {"reason": "测试"}}),
        ("manage", "POST", f"/letters/{NUMBER}/correct", {"json": {"data": letter["data"], "reason": "测试"}}),
        ("manage", "POST", f"/letters/{NUMBER}/reissue", {}),
    ]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    settings = write_settings(tmp)
    tokens = {scope: create_token(settings, f"only-{scope}", scope) for scope in SCOPES}
    tokens["revoked"] = create_token(settings, "gone", *SCOPES)
    api.revoke_key("gone", config=load_config(settings))
    server = Server(settings).start()
    yield server, tokens
    server.stop()


def test_every_route_needs_its_scope_and_only_that(live):
    server, tokens = live
    for needed, method, path, kwargs in _routes():
        for scope in SCOPES:
            with server.client(tokens[scope]) as client:
                response = client.request(method, path, **kwargs)
            where = f"{method} {path} with a {scope} key"
            if scope == needed:
                assert response.status_code not in (401, 403), f"{where}: {response.status_code} {response.text}"
            else:
                assert response.status_code == 403, f"{where}: {response.status_code}"
                body = response.json()
                assert body["required_scope"] == needed and f"没有「{needed}」权限" in body["detail"]


@pytest.mark.parametrize("headers, detail", [
    ({}, "缺少 API 密钥"),
    ({"Authorization": "Bearer lg_not-a-real-token"}, "无效或已被吊销"),
    ({"Authorization": "Basic dXNlcjpwdw=="}, "Bearer"),
    ({"Authorization": "Bearer"}, "Bearer"),
])
def test_missing_or_wrong_keys_get_401_on_every_route(live, headers, detail):
    server, _tokens = live
    with httpx.Client(base_url=server.url, headers=headers) as client:
        for _needed, method, path, kwargs in _routes():
            response = client.request(method, path, **kwargs)
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"] == "application/problem+json" and detail in response.json()["detail"]


def test_revoked_key_gets_401(live):
    server, tokens = live
    with server.client(tokens["revoked"]) as client:
        response = client.get("/kinds")
    assert response.status_code == 401 and "已被吊销" in response.json()["detail"]


def test_public_routes_need_no_key(live):
    server, _tokens = live
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/redoc"):
        assert httpx.get(server.url + path).status_code == 200, path
    assert httpx.get(f"{server.url}/v/{NUMBER}", params={"c": "X"}).status_code == 404  # answered, not 401


def test_a_key_over_its_rate_limit_gets_429(tmp_path, server_factory):
    settings = write_settings(tmp_path, rate_limit=5)
    token = create_token(settings, "busy", "read")
    other = create_token(settings, "calm", "read")
    server = server_factory(settings)
    with server.client(token) as client:
        statuses = [client.get("/kinds").status_code for _ in range(7)]
        limited = client.get("/kinds")
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert limited.headers["content-type"] == "application/problem+json" and int(limited.headers["retry-after"]) >= 1
    assert "每分钟最多 5 次" in limited.json()["detail"]
    with server.client(other) as client:
        assert client.get("/kinds").status_code == 200  # limits are per key


def test_a_key_revoked_while_the_server_runs_is_refused_within_key_cache_seconds(tmp_path, server_factory):
    settings = write_settings(tmp_path, key_cache_seconds=1)
    token = create_token(settings, "soon-gone", "read")
    server = server_factory(settings, workers=2)
    with server.client(token) as client:
        assert all(client.get("/kinds").status_code == 200 for _ in range(20))  # verified, cached by both workers
        api.revoke_key("soon-gone", config=load_config(settings))
        time.sleep(1.2)  # the documented bound: [service] key_cache_seconds
        answers = [client.get("/kinds") for _ in range(20)]  # new connections may reach either worker
    with server.client(token) as fresh:
        answers.append(fresh.get("/kinds"))
    assert {a.status_code for a in answers} == {401}
    assert "已被吊销" in answers[-1].json()["detail"]


def test_the_key_cache_keeps_verified_keys_only_for_its_seconds():
    now = [100.0]
    cache = KeyCache(2, clock=lambda: now[0])
    who = Principal("k", "key", frozenset({"read"}))
    digest = cache.digest("lg_token")
    assert digest != "lg_token" and len(digest) == 64  # the token itself is not kept
    cache.put(digest, who)
    assert cache.get(digest) is who
    now[0] += 1.99
    assert cache.get(digest) is who
    now[0] += 0.01
    assert cache.get(digest) is None  # expired: the register is asked again
    off = KeyCache(0, clock=lambda: now[0])
    off.put(digest, who)
    assert off.get(digest) is None


def test_a_key_revoked_in_this_process_is_checked_again_at_once(tmp_path):
    settings = write_settings(tmp_path)
    create_token(settings, "here", "read")
    cache = KeyCache(60)
    who = Principal("here", "key", frozenset({"read"}))
    cache.put("d", who)
    assert cache.get("d") is who
    api.revoke_key("here", config=load_config(settings))  # as the web page's admin does, in the server's process
    assert cache.get("d") is None
