"""The compact collections big batches use (lettergen.spilled), against plain lists and dicts."""
from __future__ import annotations

import hashlib

from hypothesis import given, strategies as st

from lettergen.spilled import DigestMap, SpilledList


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 2**32 - 2)), max_size=400))
def test_digest_map_is_a_dict_of_digests(pairs):
    compact, plain = DigestMap(), {}
    for key, value in pairs:  # small keys: many repeats; 400 entries: several growths
        digest = hashlib.blake2b(str(key).encode(), digest_size=16).digest()
        assert compact.setdefault(digest, value) == plain.setdefault(digest, value)
    assert len(compact) == len(plain)
    for digest, value in plain.items():
        assert compact.get(digest) == value and digest in compact
    assert compact.get(b"\x00" * 16) is None and b"\xff" * 16 not in compact


def test_digest_map_tells_digests_apart_that_share_a_half():
    compact = DigestMap()
    halves = [b"\x00" * 8, b"\x01" * 8]
    for i, digest in enumerate(a + b for a in halves for b in halves):
        assert compact.setdefault(digest, i) == i
    assert [compact.get(a + b) for a in halves for b in halves] == [0, 1, 2, 3]


@given(st.lists(st.one_of(st.text(), st.tuples(st.integers(), st.lists(st.none() | st.text())))))
def test_spilled_list_gives_back_what_was_appended(items):
    spilled = SpilledList()
    for item in items:
        spilled.append(item)
    assert len(spilled) == len(items) and list(spilled) == items
    assert [spilled[i] for i in reversed(range(len(items)))] == items[::-1]
    if items:
        assert spilled[-1] == items[-1]
    spilled.close()


def test_spilled_list_reads_across_its_read_blocks_and_appends_after_iterating(monkeypatch):
    import lettergen.spilled as spilled_module

    monkeypatch.setattr(spilled_module, "_BLOCK", 64)  # items straddle the blocks read at a time
    items = [("行", i, "x" * (i % 90)) for i in range(300)]
    spilled = SpilledList()
    for item in items[:200]:
        spilled.append(item)
    assert list(spilled) == items[:200]
    for item in items[200:]:  # appending after (and between) iterations still appends at the end
        spilled.append(item)
        assert next(iter(spilled)) == items[0]
    assert list(spilled) == items and spilled[250] == items[250]
    spilled.close()
