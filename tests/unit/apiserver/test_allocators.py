import pytest

from steersman.apiserver.allocators import AllocationError, IPAllocator, PortAllocator


def test_ip_allocation_unique_and_in_range() -> None:
    a = IPAllocator("10.96.0.0/28")
    assert a.nth(1) == "10.96.0.1"
    a.mark("10.96.0.1")
    got = {a.allocate() for _ in range(13)}
    assert (
        len(got) == 13
        and "10.96.0.1" not in got
        and "10.96.0.0" not in got
        and "10.96.0.15" not in got
    )
    with pytest.raises(AllocationError, match="range is full"):
        a.allocate()


def test_ip_requested() -> None:
    a = IPAllocator("10.96.0.0/12")
    assert a.allocate("10.96.0.10") == "10.96.0.10"
    with pytest.raises(AllocationError, match="provided IP is already allocated"):
        a.allocate("10.96.0.10")
    with pytest.raises(AllocationError, match="not in the valid range"):
        a.allocate("192.168.0.1")
    a.release("10.96.0.10")
    assert a.allocate("10.96.0.10") == "10.96.0.10"


def test_ports() -> None:
    p = PortAllocator("30000-30002")
    assert {p.allocate(), p.allocate(), p.allocate()} == {30000, 30001, 30002}
    with pytest.raises(AllocationError):
        p.allocate()
    with pytest.raises(AllocationError, match="not in the valid range"):
        PortAllocator("30000-32767").allocate(80)
