"""Resource request handlers: route a parsed RequestInfo to the resource's registry.

Invariants:
- Unknown group/version/resource → 404 with Kubernetes' "could not find the requested resource";
  a verb the resource does not support → 405 MethodNotAllowed.
- Handlers never write storage themselves: they decode, call the registry, and encode.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from steersman.api import errors, resources
from steersman.apiserver import negotiation, scale
from steersman.apiserver.context import ApiContext
from steersman.apiserver.handlers.body import decode_object, dry_run, field_validation, read_body
from steersman.apiserver.handlers.respond import list_body, object_body, respond
from steersman.apiserver.patching import patch_resource
from steersman.apiserver.registry import Registry, WriteOptions
from steersman.apiserver.request_info import RequestInfo
from steersman.apiserver.selection import Selection
from steersman.apiserver.versioning import Served, served
from steersman.apiserver.watch import serve_watch

_SCALE_SCHEMA = "io.k8s.api.autoscaling.v1.Scale"


async def handle_resource(
    request: web.Request, ctx: ApiContext, ri: RequestInfo
) -> web.StreamResponse:
    info = resources.lookup(ri.group, ri.version, ri.resource)
    if info is None:
        raise errors.route_not_found_error()
    if ri.subresource and info.subresource(ri.subresource) is None:
        raise errors.route_not_found_error()
    if info.namespaced and ri.name and not ri.namespace and ri.verb not in ("list", "watch"):
        raise errors.route_not_found_error()
    if not info.namespaced and ri.namespace:
        raise errors.route_not_found_error()
    if ri.parts:
        raise errors.route_not_found_error()
    verbs = info.verbs
    if ri.subresource:
        sub = info.subresource(ri.subresource)
        assert sub is not None
        verbs = sub.verbs
    if ri.verb not in verbs:
        raise errors.method_not_supported_error(
            info.resource if not ri.subresource else f"{info.resource}/{ri.subresource}",
            ri.verb,
            info.group,
        )
    registry = ctx.registry(info)
    accept = negotiation.parse_accept(request.headers.get("Accept"))
    if ri.subresource == "scale":
        return await _scale(request, registry, ri, accept)
    if ri.subresource == "binding" or (info.resource == "bindings" and ri.verb == "create"):
        return await _binding(request, ctx, ri)
    if ri.subresource not in ("", "status", "finalize"):
        # Node-proxied subresources (log, exec, attach, portforward, proxy) and eviction
        # arrive with the node agent; until then they do not exist here.
        raise errors.route_not_found_error()
    handler = _VERBS[ri.verb]
    return await handler(request, registry, ri, accept, served(info))


async def _get(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    obj = await registry.get(
        ri.namespace, ri.name, resource_version=request.query.get("resourceVersion", "")
    )
    include = request.query.get("includeObject", "Metadata") or "Metadata"
    body = object_body(version.info, obj, accept, include_object=include, out=version.from_storage)
    return respond(request, body, accept=accept)


def _selection(registry: Registry, request: web.Request, ri: RequestInfo) -> Selection:
    field_selector = request.query.get("fieldSelector", "")
    if ri.name:  # /watch/.../<name>: a watch of one object
        by_name = f"metadata.name={ri.name}"
        field_selector = f"{field_selector},{by_name}" if field_selector else by_name
    return Selection(registry.info, request.query.get("labelSelector", ""), field_selector)


def _int_param(request: web.Request, name: str) -> int:
    value = request.query.get(name, "")
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request_error(f'invalid {name}: "{value}"') from None


async def _list(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    selection = _selection(registry, request, ri)
    q = request.query
    result = await registry.list(
        ri.namespace,
        selection,
        limit=_int_param(request, "limit"),
        continue_token=q.get("continue", ""),
        resource_version=q.get("resourceVersion", ""),
        resource_version_match=q.get("resourceVersionMatch", ""),
    )
    include = q.get("includeObject", "Metadata") or "Metadata"
    return respond(
        request,
        list_body(version.info, result, accept, include_object=include, out=version.from_storage),
        accept=accept,
    )


async def _watch(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    return await serve_watch(
        request, registry, ri.namespace, _selection(registry, request, ri), accept, version
    )


async def _create(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    opts = WriteOptions(dry_run=dry_run(request.query))
    obj = await decode_object(request, version.info, warnings=opts.warnings)
    created = await registry.create(ri.namespace, version.to_storage(obj), opts)
    return respond(
        request,
        object_body(version.info, created, accept, out=version.from_storage),
        status=201,
        accept=accept,
        warnings=opts.warnings,
    )


async def _update(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    opts = WriteOptions(dry_run=dry_run(request.query))
    obj = await decode_object(request, version.info, warnings=opts.warnings)
    result, created = await registry.update(
        ri.namespace, ri.name, version.to_storage(obj), opts, subresource=ri.subresource
    )
    return respond(
        request,
        object_body(version.info, result, accept, out=version.from_storage),
        status=201 if created else 200,
        accept=accept,
        warnings=opts.warnings,
    )


def _patch_type(request: web.Request) -> str:
    mt = negotiation.media_type(request.headers.get("Content-Type"))
    if mt not in negotiation.PATCH_TYPES:
        raise errors.unsupported_media_type_error(list(negotiation.PATCH_TYPES))
    if mt == negotiation.APPLY_PATCH:
        raise errors.unsupported_media_type_error(
            [negotiation.JSON_PATCH, negotiation.MERGE_PATCH, negotiation.STRATEGIC_PATCH]
        )
    return mt


async def _patch(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    patch_type = _patch_type(request)
    opts = WriteOptions(dry_run=dry_run(request.query))
    raw = await read_body(request)
    result = await patch_resource(
        registry,
        ri.namespace,
        ri.name,
        patch_type,
        raw,
        opts,
        subresource=ri.subresource,
        validation=field_validation(request.query, request.method),
        version=version,
    )
    return respond(
        request,
        object_body(version.info, result, accept, out=version.from_storage),
        accept=accept,
        warnings=opts.warnings,
    )


async def _delete_options(request: web.Request) -> dict[str, Any]:
    options: dict[str, Any] = {}
    raw = await read_body(request)
    if raw.strip():
        decoded = negotiation.decode_body(raw, request.headers.get("Content-Type", ""))
        if not isinstance(decoded, dict):
            raise errors.bad_request_error("DeleteOptions must be a JSON object")
        options = decoded
    q = request.query
    if "gracePeriodSeconds" in q:
        try:
            options["gracePeriodSeconds"] = int(q["gracePeriodSeconds"])
        except ValueError:
            raise errors.bad_request_error(
                f'invalid gracePeriodSeconds: "{q["gracePeriodSeconds"]}"'
            ) from None
    if "propagationPolicy" in q:
        options["propagationPolicy"] = q["propagationPolicy"]
    if "orphanDependents" in q:
        options["orphanDependents"] = q["orphanDependents"].lower() == "true"
    grace = options.get("gracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        raise errors.bad_request_error("gracePeriodSeconds must be an integer")
    if options.get("dryRun"):
        for v in options["dryRun"]:
            if v != "All":
                raise errors.bad_request_error(
                    f'dryRun: Unsupported value: "{v}": supported values: "All"'
                )
    return options


async def _delete(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    options = await _delete_options(request)
    opts = WriteOptions(dry_run=dry_run(request.query) or bool(options.get("dryRun")))
    body, status = await registry.delete(ri.namespace, ri.name, options, opts)
    if body.get("kind") == version.info.kind:
        body = version.from_storage(body)
    return respond(request, body, status=status, accept=accept)


async def _delete_collection(
    request: web.Request,
    registry: Registry,
    ri: RequestInfo,
    accept: negotiation.Accept,
    version: Served,
) -> web.StreamResponse:
    options = await _delete_options(request)
    opts = WriteOptions(dry_run=dry_run(request.query) or bool(options.get("dryRun")))
    body = await registry.delete_collection(
        ri.namespace, _selection(registry, request, ri), options, opts
    )
    return respond(request, body, accept=accept)


_VERBS = {
    "get": _get,
    "list": _list,
    "watch": _watch,
    "create": _create,
    "update": _update,
    "patch": _patch,
    "delete": _delete,
    "deletecollection": _delete_collection,
}


async def _scale(
    request: web.Request, registry: Registry, ri: RequestInfo, accept: negotiation.Accept
) -> web.StreamResponse:
    info = registry.info
    scale_info = resources.ResourceInfo(
        "autoscaling", "v1", "scale", "Scale", "scale", True, schema_package="autoscaling"
    )
    opts = WriteOptions(dry_run=dry_run(request.query))
    if ri.verb == "get":
        obj = await registry.get(ri.namespace, ri.name)
        return respond(request, scale.scale_of(info, obj), accept=accept)
    if ri.verb == "update":
        body = await decode_object(
            request, scale_info, warnings=opts.warnings, schema_name=_SCALE_SCHEMA
        )
        name = (body.get("metadata") or {}).get("name") or ""
        if name != ri.name:
            raise errors.bad_request_error(
                f"the name of the object ({name}) does not match the name on the URL ({ri.name})"
            )
        kv = await registry.get_kv(ri.namespace, ri.name)
        from steersman.apiserver import codec

        current = codec.decode(kv)
        new = scale.apply_scale(body, current)
        rv = new["metadata"].get("resourceVersion")
        if rv and rv != str(kv.mod_revision):
            raise registry.conflict(ri.name)
        updated = await registry.update_from(kv, new, opts)
        return respond(
            request, scale.scale_of(info, updated), accept=accept, warnings=opts.warnings
        )
    patch_type = _patch_type(request)
    raw = await read_body(request)
    updated = await patch_resource(
        registry,
        ri.namespace,
        ri.name,
        patch_type,
        raw,
        opts,
        subresource="",
        validation=field_validation(request.query, request.method),
        transform=scale.apply_scale,
    )
    return respond(request, scale.scale_of(info, updated), accept=accept, warnings=opts.warnings)


async def _binding(request: web.Request, ctx: ApiContext, ri: RequestInfo) -> web.StreamResponse:
    from steersman.apiserver.binding import bind_pod

    binding_info = resources.lookup("", "v1", "bindings")
    assert binding_info is not None
    opts = WriteOptions(dry_run=dry_run(request.query))
    body = await decode_object(request, binding_info, warnings=opts.warnings)
    pods = ctx.registry(resources.lookup("", "v1", "pods"))  # type: ignore[arg-type]
    name = ri.name if ri.subresource == "binding" else (body.get("metadata") or {}).get("name", "")
    await bind_pod(pods, ri.namespace, name, body, opts)
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    return respond(request, status, status=201)
