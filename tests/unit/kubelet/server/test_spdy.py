"""SPDY/3.1 framing: round trips, the shared header-compression context, incremental
decoding, and frames recorded from the real kubectl (data/*.bin, captured on the kubelet side
of `kubectl exec -i` and `kubectl port-forward` with WebSockets disabled)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from steersman.kubelet.server import spdy

DATA = Path(__file__).parent / "data"


def test_dictionary_is_spdy3s() -> None:
    # SPDY/3's dictionary is 1423 bytes; zlib names it by its Adler-32 (0xe3c6a7c2), which is
    # what Go's zlib writer puts in the FDICT header of every kubectl header block.
    assert len(spdy.DICTIONARY) == 1423
    assert zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


FRAMES: list[spdy.Frame] = [
    spdy.SynStream(1, 0, 3, {"streamtype": ["error"], "port": ["80"]}),
    spdy.SynStream(3, 1, 0, {"multi": ["a", "b"]}, spdy.FLAG_FIN),
    spdy.SynReply(1, {}),
    spdy.SynReply(3, {"x": ["y"]}, spdy.FLAG_FIN),
    spdy.HeadersFrame(1, {"k": ["v"]}),
    spdy.RstStream(5, spdy.CANCEL),
    spdy.Settings({4: 100, 7: 65536}),
    spdy.Ping(7),
    spdy.GoAway(9, 0),
    spdy.WindowUpdate(1, 4096),
    spdy.Data(1, b"payload"),
    spdy.Data(3, b"", spdy.FLAG_FIN),
]


def test_round_trip_every_frame_type() -> None:
    out_codec, in_codec = spdy.HeaderCodec(), spdy.HeaderCodec()
    wire = b"".join(spdy.encode_frame(f, out_codec) for f in FRAMES)
    assert spdy.FrameDecoder(in_codec).feed(wire) == FRAMES


def test_decoder_accepts_any_chunking() -> None:
    wire = b"".join(spdy.encode_frame(f, spdy.HeaderCodec()) for f in FRAMES[:1])
    codec = spdy.HeaderCodec()
    wire = b"".join(spdy.encode_frame(f, codec) for f in FRAMES)
    decoder = spdy.FrameDecoder(spdy.HeaderCodec())
    got: list[spdy.Frame] = []
    for i in range(len(wire)):
        got.extend(decoder.feed(wire[i : i + 1]))
    assert got == FRAMES


def test_header_blocks_share_one_compression_context() -> None:
    codec = spdy.HeaderCodec()
    first = spdy.encode_frame(spdy.SynReply(1, {"streamtype": ["stdout"]}), codec)
    second = spdy.encode_frame(spdy.SynReply(3, {"streamtype": ["stdout"]}), codec)
    # The second block refers back to the first: decoding it alone must fail...
    with pytest.raises(spdy.SpdyError):
        spdy.FrameDecoder(spdy.HeaderCodec()).feed(second)
    # ...and in order both decode, the second one shorter than the first.
    decoder = spdy.FrameDecoder(spdy.HeaderCodec())
    assert decoder.feed(first + second) == [
        spdy.SynReply(1, {"streamtype": ["stdout"]}),
        spdy.SynReply(3, {"streamtype": ["stdout"]}),
    ]
    assert len(second) < len(first)


def test_wire_layout_of_data_and_control_frames() -> None:
    codec = spdy.HeaderCodec()
    assert spdy.encode_frame(spdy.Data(5, b"ab", spdy.FLAG_FIN), codec) == (
        struct.pack(">II", 5, (1 << 24) | 2) + b"ab"
    )
    # Control bit, version 3, type 6 (PING), flags 0, length 4, id.
    assert spdy.encode_frame(spdy.Ping(2), codec) == bytes.fromhex("80030006 00000004 00000002")


def test_rejects_other_versions_and_stream_zero() -> None:
    with pytest.raises(spdy.SpdyError):
        spdy.FrameDecoder(spdy.HeaderCodec()).feed(bytes.fromhex("80020006 00000004 00000001"))
    with pytest.raises(spdy.SpdyError):
        spdy.FrameDecoder(spdy.HeaderCodec()).feed(struct.pack(">II", 0, 1) + b"x")


def test_unknown_control_frames_are_skipped() -> None:
    unknown = bytes.fromhex("8003000a 00000002 abcd")
    ping = spdy.encode_frame(spdy.Ping(1), spdy.HeaderCodec())
    assert spdy.FrameDecoder(spdy.HeaderCodec()).feed(unknown + ping) == [spdy.Ping(1)]


def test_decodes_kubectl_exec_frames() -> None:
    frames = spdy.FrameDecoder(spdy.HeaderCodec()).feed(
        (DATA / "kubectl-exec-spdy.bin").read_bytes()
    )
    syns = [f for f in frames if isinstance(f, spdy.SynStream)]
    assert [(s.stream_id, s.headers["streamtype"]) for s in syns] == [
        (1, ["error"]),
        (3, ["stdin"]),
        (5, ["stdout"]),
        (7, ["stderr"]),
    ]
    data = [f for f in frames if isinstance(f, spdy.Data)]
    assert data == [spdy.Data(3, b"hi\n"), spdy.Data(3, b"", spdy.FLAG_FIN)]


def test_decodes_kubectl_port_forward_frames() -> None:
    raw = (DATA / "kubectl-portforward-spdy.bin").read_bytes()
    frames = spdy.FrameDecoder(spdy.HeaderCodec()).feed(raw)
    syns = [f for f in frames if isinstance(f, spdy.SynStream)]
    assert [s.headers["streamtype"] for s in syns] == [["error"], ["data"]]
    assert all(s.headers["requestid"] == ["0"] and s.headers["port"][0].isdigit() for s in syns)
    assert spdy.Data(3, b"hello-pod") in frames
