"""deploy/k8s/ keeps the promises of issue 6 part 4: three brokers with replication 3 and
min in-sync replicas 2, every service's API and workers scaled as far as each can be, probes,
resources, non-root pods, secrets only by reference, scraped metrics, and a counterpart for
every service of docker-compose.yml with the same image and command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from k8s_manifests import (
    K8S,
    OVERLAYS,
    ROOT,
    Manifests,
    Object,
    app_name,
    containers,
    load_base,
    load_documents,
    pod_spec,
)

from zw_shared.topics import HAZARDOUS_EVENTS, WASTE_FLOW_EVENTS

APIS = {"waste-intake-api": 8001, "scoring-api": 8002, "hazardous-transfer-api": 8003}
WORKERS = {"waste-intake-worker": 6061, "scoring-worker": 6062, "hazardous-transfer-worker": 6063}
# One active worker per province node, the others its standbys (see the manifest).
ONE_ACTIVE = {"hazardous-transfer-worker"}
SECRET_LIKE = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|CREDENTIAL")
MIN_KUBERNETES = "1.28.0"  # the pod-index label the brokers take their node id from


@pytest.fixture(scope="module")
def base() -> Manifests:
    return load_base()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return services


@pytest.fixture(scope="module")
def broker_env(base: Manifests) -> dict[str, Any]:
    (kafka,) = containers(base.get("StatefulSet", "kafka"))
    return base.env(kafka)


def test_the_brokers_are_three_nodes_each_broker_and_controller_of_one_quorum(
    base: Manifests, broker_env: dict[str, Any]
) -> None:
    kafka = base.get("StatefulSet", "kafka")
    service = kafka["spec"]["serviceName"]

    assert kafka["spec"]["replicas"] == 3
    assert broker_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert broker_env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == ",".join(
        f"{n}@kafka-{n}.{service}:9093" for n in range(3)
    )
    assert broker_env["KAFKA_NODE_ID"]["fieldRef"]["fieldPath"] == (
        "metadata.labels['apps.kubernetes.io/pod-index']"
    )


def test_every_topic_has_three_replicas_and_needs_two_in_sync(
    base: Manifests, broker_env: dict[str, Any]
) -> None:
    assert broker_env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert broker_env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert broker_env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
    assert broker_env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "3"
    assert broker_env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
    assert broker_env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
    for workload in base.workloads():
        for container in containers(workload):
            if container["image"].startswith("localhost/zw-services:"):
                assert base.env(container)["TOPIC_REPLICATION_FACTOR"] == "3", app_name(workload)


def test_the_topic_job_provisions_the_registry(base: Manifests) -> None:
    (job,) = containers(base.get("Job", "topic-init"))

    assert job["command"] == ["zw-provision-topics"]
    assert base.env(job)["TOPIC_REPLICATION_FACTOR"] == "3"


def test_one_broker_at_a_time_may_be_disrupted_and_no_two_share_a_machine(
    base: Manifests,
) -> None:
    kafka = base.get("StatefulSet", "kafka")
    budget = base.get("PodDisruptionBudget", "kafka")
    anti = pod_spec(kafka)["affinity"]["podAntiAffinity"]
    (rule,) = anti["requiredDuringSchedulingIgnoredDuringExecution"]

    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == kafka["spec"]["selector"]["matchLabels"]
    assert rule["topologyKey"] == "kubernetes.io/hostname"
    assert rule["labelSelector"]["matchLabels"] == kafka["spec"]["selector"]["matchLabels"]


def test_the_brokers_keep_their_logs_on_persistent_volumes(
    base: Manifests, broker_env: dict[str, Any]
) -> None:
    kafka = base.get("StatefulSet", "kafka")
    (claim,) = kafka["spec"]["volumeClaimTemplates"]
    (mount,) = containers(kafka)[0]["volumeMounts"]

    assert mount["name"] == claim["metadata"]["name"]
    assert broker_env["KAFKA_LOG_DIRS"].startswith(mount["mountPath"] + "/")


def test_the_brokers_find_each_other_before_they_are_ready(
    base: Manifests, broker_env: dict[str, Any]
) -> None:
    kafka = base.get("StatefulSet", "kafka")
    headless = base.get("Service", kafka["spec"]["serviceName"])
    bootstrap = base.config_map("zw-kafka-client")["KAFKA_BOOTSTRAP_SERVERS"]

    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    assert kafka["spec"]["podManagementPolicy"] == "Parallel"
    assert bootstrap.split(",") == [f"kafka-{n}.kafka-headless:9092" for n in range(3)]


def test_every_api_has_two_replicas_or_more_a_service_and_an_autoscaler(base: Manifests) -> None:
    for name, port in APIS.items():
        deployment = base.get("Deployment", name)
        service = base.get("Service", name)
        autoscaler = base.get("HorizontalPodAutoscaler", name)

        assert deployment["spec"]["replicas"] >= 2, name
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == name
        assert autoscaler["spec"]["minReplicas"] >= 2, name
        assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"], name
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        assert service["spec"]["ports"][0]["port"] == port, name


def test_every_worker_runs_two_replicas_or_more(
    base: Manifests,
) -> None:
    for name in WORKERS:
        assert base.workload(name)["spec"]["replicas"] >= 2, name


def test_the_api_of_a_node_names_each_of_its_workers(base: Manifests) -> None:
    # a standby answers 421: the API must be able to reach the active worker by name
    for name in ONE_ACTIVE:
        workers = base.get("StatefulSet", name)
        service = base.get("Service", workers["spec"]["serviceName"])
        (api,) = containers(base.workload(name.replace("-worker", "-api")))
        port = WORKERS[name]
        pods = [
            f"{name}-{n}.{service['metadata']['name']}" for n in range(workers["spec"]["replicas"])
        ]
        url = base.env(api)["WORKER_URL"]

        assert service["spec"]["clusterIP"] == "None", "headless: one DNS name per pod"
        assert url.split(",") == [f"http://{pod}:{port}" for pod in pods]


def test_no_worker_has_more_replicas_than_its_topic_partitions(base: Manifests) -> None:
    # Each group's work is on its main topic's partitions: a replica more would idle.
    partitions = {
        "waste-intake-worker": WASTE_FLOW_EVENTS.partitions,
        "scoring-worker": WASTE_FLOW_EVENTS.partitions,
        "hazardous-transfer-worker": HAZARDOUS_EVENTS.partitions,
    }
    for name in WORKERS:
        assert base.workload(name)["spec"]["replicas"] <= partitions[name], name
    autoscaled = {
        a["spec"]["scaleTargetRef"]["name"] for a in base.of_kind("HorizontalPodAutoscaler")
    }
    assert autoscaled == set(APIS), "workers are scaled by hand: a scale-out is a rebalance"


def test_every_service_container_is_probed_on_readyz_and_healthz(base: Manifests) -> None:
    for name, port in {**APIS, **WORKERS}.items():
        (container,) = containers(base.workload(name))
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        ready = container["readinessProbe"]["httpGet"]
        live = container["livenessProbe"]["httpGet"]

        assert ready["path"] == "/readyz", name
        assert live["path"] == "/healthz", name
        assert ports[ready["port"]] == ports[live["port"]] == port, name
        assert base.env(container)["API_PORT" if name in APIS else "WORKER_WEB_PORT"] == str(port)


def test_every_container_asks_for_cpu_and_memory_and_has_a_memory_limit(
    base: Manifests,
) -> None:
    for workload in base.workloads():
        for container in containers(workload):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), app_name(workload)
            assert "memory" in resources["limits"], app_name(workload)


def test_every_pod_runs_as_a_user_without_privileges(base: Manifests) -> None:
    for workload in base.workloads():
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, app_name(workload)
        assert pod["securityContext"]["runAsUser"] > 0, app_name(workload)
        for container in containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, app_name(workload)
            assert context["capabilities"]["drop"] == ["ALL"], app_name(workload)
            # The broker image writes its configuration under /opt/kafka when it starts.
            expected_read_only = app_name(workload) != "kafka"
            assert context["readOnlyRootFilesystem"] is expected_read_only, app_name(workload)


def test_secrets_are_only_referenced_never_written() -> None:
    for path in K8S.rglob("*.yaml"):
        for doc in load_documents(path):
            assert doc.get("kind") != "Secret", f"{path} holds a Secret"
            assert "secretGenerator" not in doc, f"{path} generates a Secret"
            for entry in _env_entries(doc):
                if SECRET_LIKE.search(entry["name"]):
                    assert "secretKeyRef" in entry.get("valueFrom", {}), (path, entry)


def test_the_tokens_reach_the_services_that_need_them(base: Manifests) -> None:
    needs = {
        "waste-intake-api": {"INTAKE_ADMIN_TOKEN"},
        "waste-intake-worker": {"INTAKE_ADMIN_TOKEN"},
        "scoring-api": {"AUTH_TOKEN_SECRET"},
        "hazardous-transfer-api": {"AUTH_TOKEN_SECRET"},
    }
    for name, secrets in needs.items():
        (container,) = containers(base.get("Deployment", name))
        env = base.env(container)
        for secret in secrets:
            assert env[secret]["secretKeyRef"]["name"] == "zw-secrets", (name, secret)


def test_every_service_pod_is_scraped_on_its_metrics_port(base: Manifests) -> None:
    for name, port in {**APIS, **WORKERS}.items():
        annotations = base.workload(name)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == str(port), name
        assert annotations["prometheus.io/path"] == "/metrics", name


def test_every_compose_service_has_a_counterpart_with_its_image_command_and_settings(
    base: Manifests, compose: dict[str, Any]
) -> None:
    workloads = {app_name(w): w for w in base.workloads()}
    # Services of an optional compose profile (grafana: `--profile observability`) are left
    # to the cluster's own tools.
    always = {name: service for name, service in compose.items() if not service.get("profiles")}
    assert set(always) == set(workloads)
    for name, service in always.items():
        (container,) = containers(workloads[name])
        image = re.sub(r"\$\{ZW_IMAGE_TAG:-(\w+)\}", r"\1", service["image"])
        assert container["image"] == image, name
        assert container.get("command") == service.get("command"), name
        if image.startswith("localhost/zw-services:"):  # the broker's settings differ: 3 nodes
            missing = set(service.get("environment", {})) - set(base.env(container))
            assert not missing, f"{name} lacks {sorted(missing)} of docker-compose.yml"


def test_the_base_is_valid_for_the_oldest_supported_kubernetes(base: Manifests) -> None:
    for manifest in base.objects:
        kubernetes_validate.validate(manifest, MIN_KUBERNETES, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) not installed")
@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_each_overlay_renders_into_one_namespace_and_validates(overlay: Path) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    objects = [doc for doc in yaml.safe_load_all(rendered) if doc]
    namespaced = [o for o in objects if o["kind"] not in ("Namespace",)]
    assert len({o["metadata"].get("namespace") for o in namespaced}) == 1
    assert len(objects) >= len(load_base().objects)
    for manifest in objects:
        kubernetes_validate.validate(manifest, MIN_KUBERNETES, strict=True)


def _env_entries(doc: Object) -> list[Object]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return [e for c in spec.get("containers", []) for e in c.get("env", [])]
