"""Warning headers as the API server's warning recorder writes them."""

from __future__ import annotations

from steersman.apiserver.handlers.respond import warning_headers


def test_quoting_dedup_and_order() -> None:
    texts = ['unknown field "b"', "a\\b", 'unknown field "b"', "", "z"]
    assert warning_headers(texts) == [
        '299 - "unknown field \\"b\\""',
        '299 - "a\\\\b"',
        '299 - "z"',
    ]


def test_past_4096_runes_every_text_is_cut_to_256() -> None:
    texts = [f"{i}" + "x" * 1999 for i in range(2)] + ["y" * 300]
    headers = warning_headers(texts)
    assert len(headers) == 3
    assert headers[0] == '299 - "0' + "x" * 255 + '"'
    assert headers[2] == '299 - "' + "y" * 256 + '"'


def test_texts_after_the_truncated_total_is_reached_are_dropped() -> None:
    texts = [f"{i:02d}" + "x" * 998 for i in range(30)]  # 30 000 runes
    headers = warning_headers(texts)
    # truncation starts at the 5th text; 16 texts of 256 runes reach 4096, the rest are dropped
    assert len(headers) == 16
    assert all(len(h) == len('299 - ""') + 256 for h in headers)


def test_within_the_limit_nothing_is_cut() -> None:
    texts = ["a" * 4000, "b" * 96]
    assert warning_headers(texts) == ['299 - "' + "a" * 4000 + '"', '299 - "' + "b" * 96 + '"']
