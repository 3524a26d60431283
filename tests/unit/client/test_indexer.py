"""Indexer: keys and secondary indexes stay exact across add/update/delete/replace."""

from __future__ import annotations

from steersman.client.indexer import NAMESPACE_INDEX, Indexer, object_key, split_key


def obj(name: str, namespace: str = "", **labels: str) -> dict:
    meta: dict = {"name": name, "labels": labels}
    if namespace:
        meta["namespace"] = namespace
    return {"metadata": meta}


def by_app(o: dict) -> list[str]:
    app = o["metadata"]["labels"].get("app")
    return [app] if app else []


def test_keys_follow_client_go() -> None:
    assert object_key(obj("a", "ns")) == "ns/a"
    assert object_key(obj("node1")) == "node1"
    assert split_key("ns/a") == ("ns", "a")
    assert split_key("node1") == ("", "node1")


def test_indexes_follow_updates_and_deletes() -> None:
    idx = Indexer({"app": by_app})
    idx.upsert(obj("a", "ns", app="web"))
    idx.upsert(obj("b", "ns", app="web"))
    idx.upsert(obj("c", "other", app="db"))
    assert sorted(o["metadata"]["name"] for o in idx.by_index("app", "web")) == ["a", "b"]
    assert [o["metadata"]["name"] for o in idx.by_index(NAMESPACE_INDEX, "other")] == ["c"]
    old = idx.upsert(obj("a", "ns", app="db"))
    assert old is not None and old["metadata"]["labels"]["app"] == "web"
    assert [o["metadata"]["name"] for o in idx.by_index("app", "web")] == ["b"]
    assert sorted(idx.index_keys("app", "db")) == ["ns/a", "other/c"]
    idx.delete(obj("b", "ns"))
    assert idx.by_index("app", "web") == []
    assert len(idx) == 2 and "ns/a" in idx


def test_replace_rebuilds_indexes_and_late_indexers_cover_existing_items() -> None:
    idx = Indexer()
    idx.upsert(obj("gone", "ns", app="web"))
    idx.replace([obj("x", "ns", app="web"), obj("y", "ns2", app="db")])
    assert idx.get("ns/gone") is None
    idx.add_indexers({"app": by_app})
    assert [o["metadata"]["name"] for o in idx.by_index("app", "web")] == ["x"]
    assert sorted(idx.keys()) == ["ns/x", "ns2/y"]
