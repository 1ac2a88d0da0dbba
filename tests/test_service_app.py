"""The service application in-process: extension points and the last line of error handling.

Behaviour over the wire is tested against real servers in ``test_service_*``;
these check what a real server cannot easily show: an unexpected exception
(never a traceback), and a second principal resolver (as the web page adds).
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lettergen import api
from lettergen.models import Problem
from lettergen.service import create_app
from lettergen.service.auth import Principal, add_resolver
from tests.service_fixtures import sample_json


@pytest.fixture
def app(project_config):
    return create_app(project_config)


def test_an_unexpected_error_is_a_plain_500_without_traceback(app, monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /srv/lettergen/x.py line 12")

    monkeypatch.setattr(api, "kinds", boom)
    add_resolver(app, lambda request: Principal("t", "key", frozenset({"read"})))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/kinds")
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.json()["detail"].startswith("服务器内部错误")


def test_another_resolver_identifies_users_and_the_register_records_them(app):
    def session_cookie(request):
        if request.cookies.get("session") == "li-si":
            return Principal("李四", "user", frozenset({"read", "draft", "issue"}))
        return None

    add_resolver(app, session_cookie)
    with TestClient(app) as client:
        assert client.get("/kinds").status_code == 401
        client.cookies.set("session", "li-si")
        letter = client.post("/letters", json={"kind": "after_sales", "data": sample_json("after_sales")}).json()
        assert letter["actor"] == "user:李四"
        forbidden = client.post(f"{letter['links']['self']}/void", json={"reason": "x"})
        assert forbidden.status_code == 403 and "「李四」没有「manage」权限" in forbidden.json()["detail"]


def test_problem_names_the_key_path_for_data_sent_as_yaml_or_json():
    typed = Problem("recipient", "收函客户", "必填，不能缺少")
    from_sheet = Problem("recipient.name", "收函客户·客户名称", "必填，不能缺少", row=4, column="客户名称")
    assert typed.describe(keys=True) == "「收函客户」（recipient）：必填，不能缺少"
    assert str(typed) == "「收函客户」：必填，不能缺少"
    assert from_sheet.describe(keys=True) == str(from_sheet)  # a sheet names its row and column instead
