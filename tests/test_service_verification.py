"""Letters that can be verified: codes in the register, the public /v/ page, the QR code."""
from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from lettergen import api
from lettergen.config import load_config
from lettergen.verification import qr_png, verification_url
from tests.service_fixtures import Server, create_token, sample_json, write_settings


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    """A server with an issued, a void, a superseded and its correcting letter."""
    settings = write_settings(tmp_path_factory.mktemp("verify"), public_url="https://letters.example.cn/",
                              verify_rate_limit=40)
    token = create_token(settings, "crm", "issue", "manage", "read")
    server = Server(settings).start()
    with server.client(token) as client:
        def issue():
            return client.post("/letters", json={"kind": "sales_letter", "data": sample_json("sales_letter")}).json()
        issued, voided, superseded = issue(), issue(), issue()
        client.post(f"{voided['links']['self']}/void", json={"reason": "寄错客户"})
        correction = client.post(f"{superseded['links']['self']}/correct",
                                 json={"data": sample_json("sales_letter"), "reason": "日期有误"}).json()
    yield server, settings, {"issued": issued, "void": voided, "superseded": superseded, "correction": correction}
    server.stop()


def page(server, number: str, code: str) -> httpx.Response:
    return httpx.get(f"{server.url}/v/{quote(number, safe='')}", params={"c": code})


def test_genuine_void_and_superseded_letters_say_so_and_nothing_else(letters):
    server, settings, found = letters
    for status, label, note in [("issued", "已签发", "此信函有效"), ("void", "已作废", "已作废，不再有效"),
                                ("superseded", "已被订正", "以订正后的信函为准")]:
        letter = found[status]
        response = page(server, letter["number"], letter["verify_code"])
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        html = response.text
        assert letter["number"] in html and "杭州禾丰贸易有限公司" in html and letter["letter_date"] in html
        assert label in html and note in html
        for private in (letter["customer"], letter["subject"], "寄错客户", "日期有误", found["correction"]["number"]):
            assert private not in html  # issuer, date and status only
        assert response.headers["cache-control"] == "no-store"


def test_lower_case_code_is_accepted(letters):
    server, _settings, found = letters
    letter = found["issued"]
    assert page(server, letter["number"], letter["verify_code"].lower()).status_code == 200


def test_a_forged_code_answers_exactly_like_an_unknown_number(letters):
    server, _settings, found = letters
    letter = found["issued"]
    forged = page(server, letter["number"], "ABCDEFGHJK")
    empty = page(server, letter["number"], "")
    unknown = page(server, "禾丰销函〔2026〕999号", letter["verify_code"])
    other = page(server, letter["number"], found["void"]["verify_code"])  # another letter's real code
    for response in (forged, empty, other):
        assert response.status_code == unknown.status_code == 404
        assert response.content == unknown.content
        assert response.headers["content-type"] == unknown.headers["content-type"]
    assert "未能核验" in unknown.text


def test_verify_url_in_the_letter_and_its_qr_code(letters):
    _server, settings, found = letters
    letter = found["issued"]
    url = f"https://letters.example.cn/v/{quote(letter['number'], safe='')}?c={letter['verify_code']}"
    assert letter["verify_url"] == url
    entry = api.letter(letter["number"], config=load_config(settings))
    assert verification_url(load_config(settings), entry) == url
    png = qr_png(url)
    from PIL import Image
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 4 * 29


def test_the_letter_the_server_issued_prints_the_qr_code_of_its_check_page(letters):
    import zipfile

    _server, settings, found = letters
    for status in ("issued", "correction"):  # POST /letters and POST …/correct
        letter = found[status]
        entry = api.letter(letter["number"], config=load_config(settings))
        with zipfile.ZipFile(entry.output_path) as zf:
            pictures = [zf.read(n) for n in zf.namelist() if n.startswith("word/media/")]
        assert pictures == [qr_png(letter["verify_url"])]


def test_the_code_is_kept_so_reissued_letters_stay_byte_identical(letters):
    server, settings, found = letters
    letter = found["issued"]
    config = load_config(settings)
    before = api.letter_docx(letter["number"], config=config)
    Path(api.letter(letter["number"], config=config).output_path).unlink()  # a lost file is reissued
    api.reissue(letter["number"], config=config)
    entry = api.letter(letter["number"], config=config)
    assert entry.verify_code == letter["verify_code"]
    assert api.letter_docx(letter["number"], config=config) == before


def test_the_page_is_rate_limited_per_address(letters):  # last: it spends the address's budget
    server, _settings, found = letters
    letter = found["issued"]
    statuses = [page(server, letter["number"], f"GUESS{i:05d}").status_code for i in range(45)]
    assert statuses.count(404) <= 40 and statuses[-1] == 429
    limited = page(server, letter["number"], letter["verify_code"])
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
