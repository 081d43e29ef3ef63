"""Reads deploy/k8s/ for the manifest tests: every object of the base by kind and name, and
what a container's environment resolves to (its ConfigMaps, values and secret references)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[3]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(path.parent for path in (K8S / "overlays").glob("*/kustomization.yaml"))
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")

Object = dict[str, Any]


@dataclass(frozen=True)
class Manifests:
    objects: list[Object]

    def get(self, kind: str, name: str) -> Object:
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        assert len(found) == 1, f"{len(found)} objects {kind}/{name}"
        return found[0]

    def workload(self, name: str) -> Object:
        """The Deployment or StatefulSet of that name."""
        found = [o for o in self.workloads() if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{len(found)} workloads named {name}"
        return found[0]

    def of_kind(self, kind: str) -> list[Object]:
        return [o for o in self.objects if o["kind"] == kind]

    def workloads(self) -> list[Object]:
        return [o for o in self.objects if o["kind"] in WORKLOAD_KINDS]

    def config_map(self, name: str) -> dict[str, str]:
        data: dict[str, str] = self.get("ConfigMap", name)["data"]
        return data

    def env(self, container: Object) -> dict[str, Any]:
        """Name -> value (a string) or the ``valueFrom`` mapping, ConfigMaps first."""
        resolved: dict[str, Any] = {}
        for source in container.get("envFrom", []):
            resolved.update(self.config_map(source["configMapRef"]["name"]))
        for entry in container.get("env", []):
            resolved[entry["name"]] = entry.get("value", entry.get("valueFrom"))
        return resolved


def load_documents(path: Path) -> list[Object]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def load_base() -> Manifests:
    kustomization = load_documents(BASE / "kustomization.yaml")[0]
    objects: list[Object] = []
    for resource in kustomization["resources"]:
        objects.extend(load_documents(BASE / resource))
    return Manifests(objects)


def pod_spec(workload: Object) -> Object:
    spec: Object = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Object) -> list[Object]:
    found: list[Object] = pod_spec(workload)["containers"]
    return found


def app_name(workload: Object) -> str:
    name: str = workload["metadata"]["name"]
    return name
