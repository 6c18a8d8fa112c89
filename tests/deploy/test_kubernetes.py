"""The Kubernetes manifests (deploy/k8s/, kustomize), validated offline against the API schemas."""

import ipaddress
import re
import shutil
import subprocess
import urllib.parse

import kubernetes_validate
import pytest
import yaml

from .conftest import APP_SERVICES, DEPLOY, REPO, read_env_file

K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.34"  # the oldest cluster version the manifests must run on
DEPLOY_DOC = REPO / "docs" / "deploy.md"


def _kustomization_files(directory, seen=None):
    """Every file a kustomization (and the ones it includes) names, checked to exist."""
    seen = set() if seen is None else seen
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        assert path.exists(), f"{directory}/kustomization.yaml: {resource} does not exist"
        if path.is_dir() and path not in seen:
            seen.add(path)
            files += _kustomization_files(path, seen)
        elif path.is_file():
            files.append(path)
    for patch in kustomization.get("patches", []):
        files.append(directory / patch["path"])
    for generator in kustomization.get("configMapGenerator", []):
        for entry in generator.get("files", []):
            files.append(directory / entry.split("=")[-1])
    for path in files:
        assert path.is_file(), f"{directory}/kustomization.yaml names a missing file: {path}"
    return files


def _raw_resources() -> list[dict]:
    """The resource files of deploy/k8s as written, before kustomize's generators and patches."""
    resources = [path for path in _kustomization_files(K8S) if path.parent == K8S and path.suffix == ".yaml"]
    return [
        doc
        for path in resources
        for doc in yaml.safe_load_all(path.read_text())
        if doc and "kind" in doc and doc.get("apiVersion") != "kustomize.config.k8s.io/v1beta1"
    ]


@pytest.fixture(scope="module")
def manifests():
    """The manifests as `kubectl kustomize` builds them (kubectl is on every machine of this kind)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: only the raw resource files are validated")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _by_kind(manifests, kind):
    return {doc["metadata"]["name"]: doc for doc in manifests if doc["kind"] == kind}


def _pod(deployment):
    return deployment["spec"]["template"]


def test_every_file_the_kustomizations_name_exists():
    assert _kustomization_files(K8S)


def test_every_resource_file_is_valid_for_the_kubernetes_api():
    # works without kubectl too: the files as written are complete objects
    for document in _raw_resources():
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_kustomize_build_is_valid_for_the_kubernetes_api(manifests):
    kinds = {doc["kind"] for doc in manifests}
    assert {
        "Namespace",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "ConfigMap",
        "Ingress",
        "PodDisruptionBudget",
        "Job",
    } <= kinds
    for document in manifests:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_image_tags_match_versions_env():
    versions = read_env_file(DEPLOY / "versions.env")
    images = {
        image["name"]: image for image in yaml.safe_load((K8S / "kustomization.yaml").read_text())["images"]
    }
    assert images["alexandrite-otel-collector"]["newTag"] == versions["OTEL_COLLECTOR_VERSION"]
    assert images["jaegertracing/jaeger"]["newTag"] == versions["JAEGER_VERSION"]
    assert images["nginxinc/nginx-unprivileged"]["newTag"] == versions["NGINX_VERSION"]
    assert images["prom/blackbox-exporter"]["newTag"] == versions["BLACKBOX_EXPORTER_VERSION"]


def test_app_processes_run_their_commands_under_their_service_names(manifests):
    deployments = _by_kind(manifests, "Deployment")
    for name, service_name in APP_SERVICES.items():
        container = _pod(deployments[name])["spec"]["containers"][0]
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["OTEL_SERVICE_NAME"] == service_name
        assert container["image"].split("/")[-1].startswith("alexandrite:")
        (config_ref, secret_ref) = container["envFrom"]
        assert config_ref["configMapRef"]["name"].startswith("alexandrite-env-")  # kustomize's hash suffix
        assert secret_ref["secretRef"]["name"] == "alexandrite-secrets"
    assert "mes.orders,mes.pricing" in _pod(deployments["mes-worker"])["spec"]["containers"][0]["command"]
    assert "shop.events" in _pod(deployments["shop-worker"])["spec"]["containers"][0]["command"]
    assert deployments["beat"]["spec"]["replicas"] == 1
    assert deployments["beat"]["spec"]["strategy"]["type"] == "Recreate"


def test_the_web_app_scales_with_a_horizontal_pod_autoscaler(manifests):
    (hpa,) = _by_kind(manifests, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert hpa["spec"]["minReplicas"] >= 2


def test_the_collector_is_a_single_gateway_with_a_persistent_queue(manifests):
    collector = _by_kind(manifests, "Deployment")["otel-collector"]
    assert collector["spec"]["replicas"] == 1  # tail sampling needs all spans of a trace on one instance
    volumes = {v["name"]: v for v in _pod(collector)["spec"]["volumes"]}
    claim = volumes["queue"]["persistentVolumeClaim"]["claimName"]
    assert claim in _by_kind(manifests, "PersistentVolumeClaim")
    mounts = {m["name"]: m["mountPath"] for m in _pod(collector)["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["queue"] == "/var/lib/otelcol"


def test_jaeger_runs_on_opensearch(manifests):
    (config,) = [
        doc
        for doc in manifests
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("jaeger-config")
    ]
    jaeger_config = yaml.safe_load(config["data"]["config.yaml"])
    backend = jaeger_config["extensions"]["jaeger_storage"]["backends"]["traces_store"]
    assert set(backend) == {"opensearch"}


def test_only_the_apps_pods_reach_the_collectors_otlp_ports(manifests):
    policies = _by_kind(manifests, "NetworkPolicy")
    policy = policies["otel-collector"]
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "otel-collector"}
    otlp_rules = [
        rule for rule in policy["spec"]["ingress"] if {p["port"] for p in rule["ports"]} & {4317, 4318}
    ]
    assert len(otlp_rules) == 1
    (source,) = otlp_rules[0]["from"]
    sender_label = source["podSelector"]["matchLabels"]
    deployments = _by_kind(manifests, "Deployment")
    senders = {
        name
        for name, d in deployments.items()
        if sender_label.items() <= _pod(d)["metadata"]["labels"].items()
    }
    assert senders == set(APP_SERVICES)


def test_only_the_collector_and_the_proxy_reach_jaeger(manifests):
    policy = _by_kind(manifests, "NetworkPolicy")["jaeger"]
    allowed = {
        (
            rule["from"][0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name"),
            port["port"],
        )
        for rule in policy["spec"]["ingress"]
        for port in rule["ports"]
    }
    assert ("otel-collector", 4317) in allowed and ("jaeger-proxy", 16686) in allowed
    assert {port for name, port in allowed if name not in ("otel-collector", "jaeger-proxy")} == {8888}


def test_pods_meet_the_restricted_pod_security_standard(manifests):
    workloads = _by_kind(manifests, "Deployment") | _by_kind(manifests, "Job")
    for name, deployment in workloads.items():
        pod = _pod(deployment)["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name


def test_the_secrets_the_manifests_need_are_documented(manifests):
    text = yaml.safe_dump_all(manifests)
    secrets = (
        set(re.findall(r"secretName: ([a-z0-9-]+)", text))
        | set(re.findall(r"secretRef:\n\s+name: ([a-z0-9-]+)", text))
        | set(re.findall(r"secretKeyRef:\n\s+key: \S+\n\s+name: ([a-z0-9-]+)", text))
    )
    assert {"alexandrite-secrets", "otel-collector-tls", "otel-collector-auth", "jaeger-tls"} <= secrets
    documentation = DEPLOY_DOC.read_text()
    for secret in secrets:
        assert f"`{secret}`" in documentation, secret


def test_the_access_proxy_runs_unprivileged_nginx_with_the_shared_config(manifests):
    proxy = _by_kind(manifests, "Deployment")["jaeger-proxy"]
    pod = _pod(proxy)["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "nginxinc/nginx-unprivileged:1.30.5"
    assert pod["securityContext"]["runAsUser"] == 101  # the image's nginx user
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert "/tmp" in mounts  # the unprivileged image's pid and temporary files
    volumes = {v["name"]: v for v in pod["volumes"]}
    config_map = volumes[mounts["/etc/nginx/conf.d/default.conf"]["name"]]["configMap"]["name"]
    (config,) = [d for d in manifests if d["kind"] == "ConfigMap" and d["metadata"]["name"] == config_map]
    assert config["data"]["jaeger-proxy.conf"] == (DEPLOY / "nginx" / "jaeger-proxy.conf").read_text()
    listen = re.search(r"listen (\d+) ssl;", config["data"]["jaeger-proxy.conf"])[1]
    assert container["ports"][0]["containerPort"] == int(listen) > 1024
    service = _by_kind(manifests, "Service")["jaeger-proxy"]
    assert service["spec"]["selector"].items() <= _pod(proxy)["metadata"]["labels"].items()


def test_ingresses_lead_to_the_web_app_and_the_proxy_over_tls(manifests):
    ingresses = _by_kind(manifests, "Ingress")
    services = _by_kind(manifests, "Service")
    env = {doc["metadata"]["name"].rsplit("-", 1)[0]: doc["data"]
           for doc in manifests if doc["kind"] == "ConfigMap"}
    hosts = set(env["alexandrite-env"]["ALLOWED_HOSTS"].split(","))
    backends = set()
    for ingress in ingresses.values():
        (rule,) = ingress["spec"]["rules"]
        assert rule["host"] in hosts
        assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]
        backend = rule["http"]["paths"][0]["backend"]["service"]
        port_names = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
        assert backend["port"]["name"] in port_names
        backends.add(backend["name"])
    assert backends == {"web", "jaeger-proxy"}
    proxy_annotations = ingresses["jaeger-proxy"]["metadata"]["annotations"]
    assert proxy_annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"


def test_every_replicated_deployment_has_a_disruption_budget(manifests):
    budgets = _by_kind(manifests, "PodDisruptionBudget")
    covered = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for b in budgets.values()}
    for name, deployment in _by_kind(manifests, "Deployment").items():
        replicated = deployment["spec"].get("replicas", 1) > 1 or name == "web"
        assert (name in covered) == replicated, name


def test_migrations_run_as_a_job_with_the_app_s_settings_and_security(manifests):
    (job,) = _by_kind(manifests, "Job").values()
    pod = _pod(job)["spec"]
    (container,) = pod["containers"]
    assert "manage.py migrate --noinput --database mes" in container["command"][-1]
    assert container["envFrom"][1]["secretRef"]["name"] == "alexandrite-secrets"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["restartPolicy"] == "Never" and job["spec"]["ttlSecondsAfterFinished"] > 0


def test_process_counts_follow_the_pod_s_resources_not_the_node_s(manifests):
    deployments = _by_kind(manifests, "Deployment")

    def env_refs(name):
        container = _pod(deployments[name])["spec"]["containers"][0]
        return {e["name"]: e["valueFrom"]["resourceFieldRef"]["resource"]
                for e in container["env"] if "resourceFieldRef" in e.get("valueFrom", {})}

    assert env_refs("web") == {"CPU_REQUEST": "requests.cpu", "MEMORY_LIMIT": "limits.memory"}
    for worker in ("mes-worker", "shop-worker"):
        assert env_refs(worker) == {"CELERY_WORKER_CONCURRENCY": "requests.cpu"}
    web = _pod(deployments["web"])["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/health/"
    assert web["livenessProbe"]["httpGet"]["path"] == "/health/live/"


def test_the_collector_spreads_its_grpc_over_every_jaeger_pod(manifests, collector_config):
    headless = _by_kind(manifests, "Service")["jaeger-headless"]
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == {"app.kubernetes.io/name": "jaeger"}
    tracing_env = next(d["data"] for d in manifests
                       if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("tracing-env"))
    assert tracing_env["JAEGER_OTLP_ENDPOINT"] == "dns:///jaeger-headless:4317"
    exporter = collector_config["exporters"]["otlp_grpc/jaeger"]
    assert exporter["balancer_name"] == "round_robin"


def test_forwarded_addresses_are_believed_only_from_the_pods_that_may_reach_the_web_app(manifests):
    (env,) = [d["data"] for d in manifests
              if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("alexandrite-env")]
    trusted = ipaddress.ip_network(env["TRUSTED_PROXIES"])  # one network: the cluster's pod range
    assert trusted.is_private
    policy = _by_kind(manifests, "NetworkPolicy")["web"]
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "web"}
    (rule,) = policy["spec"]["ingress"]
    sources = [source.get("namespaceSelector", source.get("podSelector"))["matchLabels"] for source in rule["from"]]
    assert sources == [{"kubernetes.io/metadata.name": "ingress-nginx"},
                       {"app.kubernetes.io/name": "jaeger-proxy"},
                       {"app.kubernetes.io/name": "blackbox-exporter"}]
    assert [port["port"] for port in rule["ports"]] == [8000]


def test_sign_in_failures_are_counted_in_one_table_the_migration_job_makes(manifests):
    (env,) = [d["data"] for d in manifests
              if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("alexandrite-env")]
    assert env["CACHE_URL"] == "dbcache://alexandrite_cache"
    (job,) = _by_kind(manifests, "Job").values()
    assert _pod(job)["spec"]["containers"][0]["command"][-1].endswith("manage.py createcachetable")


def test_the_blackbox_exporter_probes_the_web_pods_with_the_shared_config(manifests, versions):
    deployment = _by_kind(manifests, "Deployment")["blackbox-exporter"]
    pod = _pod(deployment)
    (container,) = pod["spec"]["containers"]
    assert container["image"] == f"prom/blackbox-exporter:{versions['BLACKBOX_EXPORTER_VERSION']}"
    assert pod["spec"]["securityContext"]["runAsUser"] != 0  # the image would run as root
    # the ConfigMap is deploy/prometheus/blackbox.yml, mounted where --config.file points
    (config_path,) = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--config.file=")]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == config_path]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    config_map = volumes[mount["name"]]["configMap"]["name"]
    (config,) = [d for d in manifests if d["kind"] == "ConfigMap" and d["metadata"]["name"] == config_map]
    assert config["data"][mount["subPath"]] == (DEPLOY / "prometheus" / "blackbox.yml").read_text()
    # Prometheus reaches it through its Service on 9115 (docs/deploy.md, "Kubernetes")
    service = _by_kind(manifests, "Service")["blackbox-exporter"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert [p["port"] for p in service["spec"]["ports"]] == [9115]
    assert [p["containerPort"] for p in container["ports"]] == [9115]
    # its pods may reach the web pods' port 8000, which the probed URL names through web's Service
    prometheus_config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in prometheus_config["scrape_configs"] if j["job_name"] == "web-availability"]
    (target,) = job["static_configs"][0]["targets"]
    probed = urllib.parse.urlsplit(target)
    web_service = _by_kind(manifests, "Service")[probed.hostname]
    assert [p["port"] for p in web_service["spec"]["ports"]] == [probed.port]
    policies = _by_kind(manifests, "NetworkPolicy")
    (rule,) = policies["web"]["spec"]["ingress"]
    selectors = [source["podSelector"]["matchLabels"] for source in rule["from"] if "podSelector" in source]
    assert any(selector.items() <= pod["metadata"]["labels"].items() for selector in selectors)
    assert [p["port"] for p in rule["ports"]] == [probed.port]
    # the probe's Host is one the web app answers, not a DisallowedHost 400
    (env,) = [d["data"] for d in manifests
              if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("alexandrite-env")]
    assert probed.hostname in env["ALLOWED_HOSTS"].split(",")
    # it probes whatever it is asked: only Prometheus (namespace monitoring) may ask
    policy = policies["blackbox-exporter"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (ask,) = policy["spec"]["ingress"]
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    assert ask["from"] == [monitoring]
    assert [p["port"] for p in ask["ports"]] == [9115]
