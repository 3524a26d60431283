"""The `steersman` command (DESIGN §1, command-line contract).

Invariants: every subcommand is a thin shell over a component's `run()`; flags follow
Kubernetes' names where one exists; exit codes: 0 ok, 1 failure, 2 usage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click

from steersman import GIT_VERSION


def default_data_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/steersman")
    return Path.home() / ".local" / "share" / "steersman"


def run_async(coro: object) -> None:
    try:
        import uvloop

        uvloop.run(coro)  # type: ignore[arg-type]
    except ImportError:  # pragma: no cover
        asyncio.run(coro)  # type: ignore[arg-type]


class LazyGroup(click.Group):
    """Subcommand groups imported only when used, so that long-running components do not
    carry modules they never need (the images tooling pulls in tarfile, tomllib, ...)."""

    lazy: dict[str, str] = {"images": "steersman.cli.images:images"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        import importlib

        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(GIT_VERSION, prog_name="steersman")
def cli() -> None:
    """steersman: Kubernetes, written in Python."""


@cli.command()
@click.option(
    "--storage",
    default="memory://",
    show_default=True,
    help="sqlite:///path.db | memory:// | etcd://host:port[,host:port...][/prefix]"
    "[?cacert=FILE&cert=FILE&key=FILE]",
)
@click.option("--bind-address", default="127.0.0.1", show_default=True)
@click.option("--secure-port", default=6443, show_default=True, type=int)
@click.option("--advertise-address", default="127.0.0.1", show_default=True)
@click.option("--service-cluster-ip-range", default="10.96.0.0/12", show_default=True)
@click.option("--service-node-port-range", default="30000-32767", show_default=True)
@click.option(
    "--pki-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="CA, serving and client certificates (created if missing)",
)
@click.option("--token-auth-file", type=click.Path(path_type=Path, exists=True), default=None)
@click.option(
    "--etcd-compaction-interval", default=300.0, type=float, show_default=True, help="seconds"
)
@click.option("-v", "--v", "verbosity", default=0, type=int)
def apiserver(
    storage: str,
    bind_address: str,
    secure_port: int,
    advertise_address: str,
    service_cluster_ip_range: str,
    service_node_port_range: str,
    pki_dir: Path,
    token_auth_file: Path | None,
    etcd_compaction_interval: float,
    verbosity: int,
) -> None:
    """Run the API server."""
    from steersman.apiserver.server import ApiServer, ApiServerConfig

    _logging(verbosity)
    config = ApiServerConfig(
        storage=storage,
        bind_address=bind_address,
        secure_port=secure_port,
        advertise_address=advertise_address,
        service_cluster_ip_range=service_cluster_ip_range,
        service_node_port_range=service_node_port_range,
        pki_dir=pki_dir,
        token_auth_file=token_auth_file,
        compaction_interval=etcd_compaction_interval,
    )
    # SIGTERM/SIGINT cancel the run: the server leaves the `kubernetes` endpoints and closes
    # its store before exiting (kube-apiserver's graceful shutdown).
    _run_until_signal(ApiServer(config).run)


@cli.command("controller-manager")
@click.option("--kubeconfig", type=click.Path(path_type=Path, exists=True), required=True)
@click.option(
    "--apiservers",
    default="",
    help="API server URLs (comma-separated) to use instead of the kubeconfig's, failing over",
)
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True)
@click.option("-v", "--v", "verbosity", default=0, type=int)
def controller_manager(
    kubeconfig: Path, apiservers: str, leader_elect: bool, verbosity: int
) -> None:
    """Run the controller manager."""
    from steersman.controllers.manager import ControllerManager, LeadershipLost

    _logging(verbosity)
    try:
        # SIGTERM cancels the run, so the Lease is released for a successor at once.
        manager = ControllerManager(
            kubeconfig, leader_elect=leader_elect, servers=_urls(apiservers)
        )
        _run_until_signal(manager.run)
    except LeadershipLost as exc:
        sys.exit(f"controller-manager: {exc}")


@cli.command()
@click.option("--kubeconfig", type=click.Path(path_type=Path, exists=True), required=True)
@click.option(
    "--apiservers",
    default="",
    help="API server URLs (comma-separated) to use instead of the kubeconfig's, failing over",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="a KubeSchedulerConfiguration file (profiles)",
)
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True)
@click.option("-v", "--v", "verbosity", default=0, type=int)
def scheduler(
    kubeconfig: Path, apiservers: str, config: Path | None, leader_elect: bool, verbosity: int
) -> None:
    """Run the scheduler."""
    from steersman.client.rest import RestClient
    from steersman.scheduler.profile import load_config
    from steersman.scheduler.scheduler import Scheduler

    _logging(verbosity)
    try:
        profiles = load_config(config)
    except (OSError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc

    lost = False

    async def main() -> None:
        nonlocal lost
        client = RestClient.from_kubeconfig(
            kubeconfig, user_agent="steersman-scheduler", servers=_urls(apiservers)
        )
        try:
            if not leader_elect:
                await Scheduler(client, profiles=profiles).run()
                return
            from steersman.client.leaderelection import LeaderElector

            # One Lease per scheduler name set, so a second scheduler (other profiles) runs
            # beside the default one instead of waiting for its lease.
            names = sorted(p.scheduler_name for p in profiles)
            lease = "kube-scheduler" if names == ["default-scheduler"] else "-".join(names)
            elector = LeaderElector(client, name=lease, namespace="kube-system")
            await elector.run(lambda: Scheduler(client, profiles=profiles).run())
            lost = True
        finally:
            await client.close()

    _run_until_signal(main)
    if lost:
        sys.exit("scheduler: leaderelection lost")


@cli.command()
@click.option("--kubeconfig", type=click.Path(path_type=Path, exists=True), required=True)
@click.option(
    "--apiservers",
    default="",
    help="API server URLs (comma-separated) to use instead of the kubeconfig's, failing over",
)
@click.option("--node-name", default=None, help="default: the host name")
@click.option(
    "--root-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="kubelet state; default: DATA_DIR/kubelet/NODE",
)
@click.option("--node-ip", default="", help="default: the source address of the default route")
@click.option("--pod-cidr", default="", help="this node's pod range (e.g. 10.244.0.0/24)")
@click.option("--node-labels", default="", help="k=v[,k=v...] added to the Node")
@click.option("--register-with-taints", default="", help="key=value:Effect[,...]")
@click.option(
    "--container-runtime-endpoint",
    default=None,
    help="CRI socket of a running containerd (without it and --containerd-dir: no pods)",
)
@click.option(
    "--containerd-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="run (or reuse) a containerd of our own under DIR, with CNI and the egress guard",
)
@click.option("--service-cluster-ip-range", default="10.96.0.0/12", show_default=True)
@click.option("--cni-bridge", default="steersman0", show_default=True, hidden=True)
@click.option(
    "--egress-guard-chain", default="STEERSMAN-EGRESS-GUARD", show_default=True, hidden=True
)
@click.option(
    "--pod-manifest-path",
    type=click.Path(path_type=Path),
    default=None,
    help="a directory of static pod manifests",
)
@click.option("--port", default=10250, show_default=True, type=int, help="the kubelet API")
@click.option(
    "--eviction-hard",
    default=None,
    help="node-pressure eviction thresholds, e.g. memory.available<100Mi,nodefs.available<10%",
)
@click.option(
    "--hollow",
    is_flag=True,
    help="a hollow node for scale tests: pods report Running, no containers run",
)
@click.option("--tls-cert-file", type=click.Path(path_type=Path, exists=True), default=None)
@click.option("--tls-private-key-file", type=click.Path(path_type=Path, exists=True), default=None)
@click.option("--client-ca-file", type=click.Path(path_type=Path, exists=True), default=None)
@click.option("-v", "--v", "verbosity", default=0, type=int)
def kubelet(
    kubeconfig: Path,
    apiservers: str,
    node_name: str | None,
    root_dir: Path | None,
    node_ip: str,
    pod_cidr: str,
    node_labels: str,
    register_with_taints: str,
    container_runtime_endpoint: str | None,
    containerd_dir: Path | None,
    service_cluster_ip_range: str,
    cni_bridge: str,
    egress_guard_chain: str,
    pod_manifest_path: Path | None,
    port: int,
    tls_cert_file: Path | None,
    tls_private_key_file: Path | None,
    client_ca_file: Path | None,
    eviction_hard: str | None,
    hollow: bool,
    verbosity: int,
) -> None:
    """Run the node agent."""
    import socket

    from steersman.kubelet.kubelet import Kubelet, KubeletConfig

    _logging(verbosity)
    name = (node_name or socket.gethostname()).lower()
    if containerd_dir is not None and not pod_cidr:
        raise click.UsageError("--containerd-dir needs --pod-cidr (the CNI network's range)")
    config = KubeletConfig(
        kubeconfig=kubeconfig,
        node_name=name,
        root_dir=(root_dir or default_data_dir() / "kubelet" / name).resolve(),
        node_ip=node_ip,
        pod_cidr=pod_cidr,
        node_labels=_key_values(node_labels),
        register_with_taints=[_taint(t) for t in register_with_taints.split(",") if t],
        container_runtime_endpoint=container_runtime_endpoint,
        pod_manifest_path=pod_manifest_path,
        port=port,
        tls_cert_file=tls_cert_file,
        tls_private_key_file=tls_private_key_file,
        client_ca_file=client_ca_file,
        eviction_hard=eviction_hard,
        api_servers=tuple(_urls(apiservers)),
    )

    async def main() -> None:
        node = None
        if containerd_dir is not None:
            from steersman.cli.node import NodeRuntimeSetup

            node = NodeRuntimeSetup(
                containerd_dir.resolve(),
                pod_cidr=pod_cidr,
                service_cidr=service_cluster_ip_range,
                bridge=cni_bridge,
                guard_chain=egress_guard_chain,
            )
            await node.start()
            config.container_runtime_endpoint = node.address
            config.runc_root = node.containerd.runc_root / "k8s.io"
        hollow_runtime = None
        if hollow:
            from steersman.kubelet.runtime.hollow import HollowRuntime

            hollow_runtime = HollowRuntime()
        agent = Kubelet(config, runtime=hollow_runtime)
        try:
            await agent.run()
        finally:
            if node is not None:
                from steersman.kubelet.runtime.cri import CriRuntime

                async with CriRuntime(node.address) as cri:
                    await node.teardown(cri)

    _run_until_signal(main)


def _run_until_signal(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `main`; SIGTERM/SIGINT cancel it so its cleanup runs (up's stop is a SIGTERM)."""

    async def runner() -> None:
        task = asyncio.ensure_future(main())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    run_async(runner())


def _urls(text: str) -> list[str]:
    return [u.strip() for u in text.split(",") if u.strip()]


def _key_values(text: str) -> dict[str, str]:
    out = {}
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not key=value")
        out[key] = value
    return out


def _taint(text: str) -> dict[str, str]:
    kv, sep, effect = text.rpartition(":")
    if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise click.BadParameter(
            f"{text!r} is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute"
        )
    key, _, value = kv.partition("=")
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


@cli.command()
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="default: /var/lib/steersman (root) or ~/.local/share/steersman",
)
@click.option("--secure-port", default=6443, show_default=True, type=int)
@click.option(
    "--nodes",
    default=1,
    show_default=True,
    type=click.IntRange(0),
    help="0: control plane only; 1: also a kubelet with containerd on this machine",
)
@click.option("--pod-cidr", default="10.244.0.0/24", show_default=True, help="the node's pods")
@click.option(
    "--storage",
    default=None,
    help="the API server's store (e.g. etcd://host:port); default: DATA_DIR/state.db",
)
@click.option(
    "--ha",
    is_flag=True,
    help="3 etcd members, 3 API servers behind HAProxy, 2 schedulers, 2 controller managers",
)
@click.option(
    "--detach", is_flag=True, help="return once the cluster is ready; stop it with `steersman down`"
)
@click.option("-v", "--v", "verbosity", default=0, type=int)
def up(
    data_dir: Path | None,
    secure_port: int,
    nodes: int,
    pod_cidr: str,
    storage: str | None,
    ha: bool,
    detach: bool,
    verbosity: int,
) -> None:
    """Start a local cluster and keep it running."""
    from steersman.cli.up import Cluster

    _logging(verbosity)
    try:
        cluster = Cluster(
            data_dir or default_data_dir(),
            secure_port=secure_port,
            nodes=nodes,
            pod_cidr=pod_cidr,
            storage=storage,
            ha=ha,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    sys.exit(cluster.up(detach=detach))


@cli.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
def down(data_dir: Path | None) -> None:
    """Stop a cluster started with `steersman up --detach`."""
    from steersman.cli.up import Cluster

    sys.exit(Cluster(data_dir or default_data_dir()).down())


def _logging(verbosity: int) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbosity >= 4 else logging.INFO,
        format="%(asctime)s %(levelname).1s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    cli(prog_name="steersman")


if __name__ == "__main__":
    main()
