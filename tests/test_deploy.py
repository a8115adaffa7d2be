"""The shipped serving files agree with each other and with the app: compose and the Kubernetes
manifests parse, run the image the Dockerfile builds on the port it serves, hand every replica
the same database URL variable the app reads, keep users on one replica, and the Dockerfile copies
everything the app needs at run time."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_compose_runs_two_replicas_on_one_database_behind_nginx():
    c = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = c["services"]
    apps = [name for name in services if name.startswith("app")]
    assert len(apps) >= 2
    for name in apps:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["environment"]["PLAYGROUND_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@db:5432/" in services[name]["environment"]["PLAYGROUND_DATABASE_URL"]
    listed = (DEPLOY / "nginx" / "compose-replicas.conf").read_text()
    assert all(f"server {name}:8501;" in listed for name in apps)
    mounts = " ".join(services["proxy"]["volumes"])
    assert (
        "playground.conf" in mounts and "compose-replicas.conf:/etc/nginx/playground-replicas.conf" in mounts
    )


def test_kubernetes_keeps_sessions_on_a_replica_and_shares_the_database():
    docs = {d["kind"] + "/" + d["metadata"]["name"]: d for f in (DEPLOY / "k8s").glob("*.yaml")
            for d in yaml.safe_load_all(f.read_text())}  # fmt: skip
    deploy = docs["Deployment/playground"]["spec"]
    assert deploy["replicas"] >= 2
    container = deploy["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8501
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    env = {e["name"]: e for e in container["env"]}
    ref = env["PLAYGROUND_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] in {k.split("/")[1] for k in docs if k.startswith("Secret/")}
    assert docs["Service/playground"]["spec"]["sessionAffinity"] == "ClientIP"
    assert (
        docs["Ingress/playground"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"]
        == "cookie"
    )
    assert (
        docs["StatefulSet/playground-db"]["spec"]["template"]["spec"]["containers"][0]["image"]
        == "postgres:15"
    )
    assert "@playground-db:5432/" in docs["Secret/playground-database"]["stringData"]["url"]


def test_the_image_has_what_the_app_runs():
    text = (DEPLOY / "Dockerfile").read_text()
    for needed in ("requirements.txt", "app.py", ".streamlit", "pages", "playground"):
        assert f"COPY {needed} " in text and (ROOT / needed).exists()
    assert '"--server.port", "8501"' in text
