"""ControllerRevision helpers: Go-compatible hashing, naming, ordering, equality, apply."""

from __future__ import annotations

from steersman.controllers import history


def owner(**template: object) -> dict:
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": template}},
    }


def test_fnv32_is_fnv1_not_fnv1a() -> None:
    assert history.fnv32(b"") == 0x811C9DC5
    assert history.fnv32(b"a") == 0x050C5D7E  # FNV-1a would give 0xe40c292c


def test_go_json_sorts_keys_and_escapes_html() -> None:
    assert history.go_json({"b": 1, "a": "<&>"}) == b'{"a":"\\u003c\\u0026\\u003e","b":1}'


def test_hash_depends_on_data_and_probe() -> None:
    data = history.template_patch(owner(containers=[{"name": "c", "image": "x"}]))
    assert history.hash_controller_revision(data, 0) != history.hash_controller_revision(data, 1)
    assert history.hash_controller_revision(data, None) != history.hash_controller_revision(data, 0)
    # Safe encoding: no vowels, no 0/1/3.
    assert set(history.hash_controller_revision(data, 0)) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_new_controller_revision_names_labels_and_owns() -> None:
    parent = owner(containers=[])
    data = history.template_patch(parent)
    rev = history.new_controller_revision(
        parent,
        api_version="apps/v1",
        kind="StatefulSet",
        template_labels={"app": "web"},
        data=data,
        revision=3,
        collision_count=0,
    )
    hash_ = rev["metadata"]["labels"][history.CONTROLLER_REVISION_HASH_LABEL]
    assert rev["metadata"]["name"] == f"web-{hash_}"
    assert rev["metadata"]["labels"]["app"] == "web"
    assert rev["revision"] == 3
    assert rev["metadata"]["ownerReferences"][0]["uid"] == "u1"
    assert data["spec"]["template"]["$patch"] == "replace"
    assert data["spec"]["template"]["metadata"]["creationTimestamp"] is None


def test_name_prefix_is_cut_to_223_bytes() -> None:
    assert history.controller_revision_name("x" * 300, "h") == "x" * 223 + "-h"


def test_apply_revision_restores_the_recorded_template() -> None:
    old = owner(containers=[{"name": "c", "image": "v1"}])
    rev = {"data": history.template_patch(old)}
    new = owner(containers=[{"name": "c", "image": "v2"}])
    restored = history.apply_revision(new, rev)
    assert restored["spec"]["template"] == old["spec"]["template"]
    assert new["spec"]["template"]["spec"]["containers"][0]["image"] == "v2"  # input untouched


def rev(name: str, number: int, created: str = "2026-01-01T00:00:00Z", **data: object) -> dict:
    return {
        "metadata": {"name": name, "creationTimestamp": created, "labels": {}},
        "revision": number,
        "data": data,
    }


def test_sorting_and_next_revision() -> None:
    revs = [rev("b", 2), rev("c", 1, "2026-01-02T00:00:00Z"), rev("a", 1, "2026-01-02T00:00:00Z")]
    ordered = history.sort_controller_revisions(revs)
    assert [r["metadata"]["name"] for r in ordered] == ["a", "c", "b"]
    assert history.next_revision(ordered) == 3
    assert history.next_revision([]) == 1


def test_equal_revision_compares_data_and_numeric_hash_labels() -> None:
    a, b = rev("a", 1, x=1), rev("b", 2, x=1)
    assert history.equal_revision(a, b)
    assert not history.equal_revision(a, rev("c", 1, x=2))
    # Safe-encoded labels rarely parse as numbers; when both do, they must agree.
    a["metadata"]["labels"][history.CONTROLLER_REVISION_HASH_LABEL] = "245"
    b["metadata"]["labels"][history.CONTROLLER_REVISION_HASH_LABEL] = "246"
    assert not history.equal_revision(a, b)
    b["metadata"]["labels"][history.CONTROLLER_REVISION_HASH_LABEL] = "bcd"
    assert history.equal_revision(a, b)
    assert history.find_equal_revisions([a, b, rev("c", 3, x=2)], rev("n", 9, x=1)) == [a, b]
    assert history.equal_revision(None, None) and not history.equal_revision(a, None)
