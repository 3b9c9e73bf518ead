"""The Kubernetes manifests (deploy/k8s/), offline: every file parses, the kustomization lists every one, the
probes point at URLs that exist and answer, the beat is a singleton replaced by Recreate, the web and the
workers keep nothing on a disk of their own, and every setting they pass is one the settings read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def documents() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind_name() -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in documents() if d["kind"] != "Kustomization"}


def containers(deployment: dict) -> list[dict]:
    return deployment["spec"]["template"]["spec"]["containers"]


def test_every_manifest_parses_and_the_kustomization_lists_every_file():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    kinds = {key for key in by_kind_name()}
    assert {
        ("Deployment", "reform-web"),
        ("Service", "reform-web"),
        ("Deployment", "reform-worker"),
        ("Deployment", "reform-beat"),
        ("Job", "reform-migrate"),
        ("ConfigMap", "reform-config"),
        ("Secret", "reform-secret"),
    } <= kinds


def test_the_web_probes_point_at_the_health_urls_and_they_answer(client, db):
    web = containers(by_kind_name()["Deployment", "reform-web"])[0]
    probes = {"readiness": web["readinessProbe"]["httpGet"], "liveness": web["livenessProbe"]["httpGet"]}
    assert resolve(probes["readiness"]["path"]).url_name == "health-ready"
    assert resolve(probes["liveness"]["path"]).url_name == "health-live"
    port_names = {p["name"]: p["containerPort"] for p in web["ports"]}
    for probe in probes.values():
        assert probe["port"] in port_names
        headers = {h["name"]: h["value"] for h in probe.get("httpHeaders", [])}
        # The Host a probe sends must be one ALLOWED_HOSTS takes (the ConfigMap's).
        config = by_kind_name()["ConfigMap", "reform-config"]["data"]
        assert headers["Host"] in config["ALLOWED_HOSTS"].split(",")
        answer = client.get(probe["path"], HTTP_HOST=headers["Host"])
        assert answer.status_code == 200, (probe["path"], answer.content[:300])
    # The Service reaches the named port.
    service = by_kind_name()["Service", "reform-web"]
    assert service["spec"]["ports"][0]["targetPort"] in port_names
    assert service["spec"]["selector"] == web_labels()


def web_labels() -> dict:
    return by_kind_name()["Deployment", "reform-web"]["spec"]["template"]["metadata"]["labels"]


def test_the_beat_is_one_replica_replaced_by_recreate_and_the_others_scale_by_count():
    objects = by_kind_name()
    beat = objects["Deployment", "reform-beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}
    assert containers(beat)[0]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert containers(beat)[0]["livenessProbe"]["exec"]["command"][-2:] == ["health-beat", "--no-http"]
    for name in ("reform-web", "reform-worker"):
        spec = objects["Deployment", name]["spec"]
        assert spec["replicas"] >= 2
        # Stateless: no persistent volume, only scratch space.
        for volume in spec["template"]["spec"].get("volumes", []):
            assert set(volume) == {"name", "emptyDir"}, volume
    assert objects["HorizontalPodAutoscaler", "reform-web"]["spec"]["scaleTargetRef"]["name"] == "reform-web"


def test_every_deployment_and_the_job_take_the_config_and_the_secret():
    objects = by_kind_name()
    for key in [("Deployment", "reform-web"), ("Deployment", "reform-worker"), ("Deployment", "reform-beat"),
                ("Job", "reform-migrate")]:  # fmt: skip
        for container in containers(objects[key]):
            refs = {next(iter(r)): next(iter(r.values()))["name"] for r in container["envFrom"]}
            assert refs == {"configMapRef": "reform-config", "secretRef": "reform-secret"}, key
            assert ("ConfigMap", refs["configMapRef"]) in objects and ("Secret", refs["secretRef"]) in objects


# Read by what the image runs rather than by config/settings.py.
NOT_SETTINGS = {"PROMETHEUS_MULTIPROC_DIR"}


@pytest.mark.parametrize("kind", ["ConfigMap", "Secret"])
def test_every_key_passed_is_an_environment_variable_the_settings_read(kind):
    settings_source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', settings_source))
    obj = next(d for (k, _n), d in by_kind_name().items() if k == kind)
    keys = set(obj.get("data") or obj.get("stringData"))
    assert keys - NOT_SETTINGS <= read, sorted(keys - NOT_SETTINGS - read)


def test_kustomize_builds_every_object_with_the_image(tmp_path):
    """`kubectl kustomize` (Debian's kubectl, offline: no cluster) renders the set as `kubectl apply -k`
    would send it."""
    import subprocess

    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    rendered = [d for d in yaml.safe_load_all(built) if d]
    assert len(rendered) == len(by_kind_name())
    images = {
        c["image"]
        for d in rendered
        if d["kind"] in ("Deployment", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"reform-tracker:latest"}
    assert all(d["metadata"]["labels"]["app.kubernetes.io/part-of"] == "reform-tracker" for d in rendered)
