"""Go's textual forms."""

from __future__ import annotations

import errno

from steersman.kubelet.prober.goformat import dial_error, errno_text, go_duration, join_host_port


def test_go_duration() -> None:
    cases = {
        0: "0s",
        0.5: "500ms",
        0.0015: "1.5ms",
        1: "1s",
        1.5: "1.5s",
        10: "10s",
        80: "1m20s",
        300: "5m0s",
        3600: "1h0m0s",
        3723: "1h2m3s",
        -2: "-2s",
    }
    assert {k: go_duration(k) for k in cases} == cases


def test_join_host_port_and_errors() -> None:
    assert join_host_port("10.0.0.1", 80) == "10.0.0.1:80"
    assert join_host_port("fd00::1", 80) == "[fd00::1]:80"
    assert errno_text(errno.EHOSTUNREACH) == "no route to host"
    assert errno_text(errno.ECONNREFUSED) == "connection refused"
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert dial_error("1.2.3.4:5", refused) == "dial tcp 1.2.3.4:5: connect: connection refused"
    assert dial_error("1.2.3.4:5", TimeoutError()) == "dial tcp 1.2.3.4:5: i/o timeout"
