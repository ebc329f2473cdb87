"""A real Airflow for tests, as a council runs it: PostgreSQL metadata in a database of its own (created here and
dropped afterwards, so no two Airflow processes ever share a SQLite file), and the api-server, scheduler,
dag-processor and triggerer as separate processes, each stopped by its pid (with the workers it started). One
viewer signs in through the Simple auth manager's login (`api`)."""

from __future__ import annotations

import os
import signal
import socket
import json
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

POSTGRES_SERVER = os.environ.get("CSC_MONITOR_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")
BIN = Path(sys.executable).parent
PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
VIEWER, VIEWER_PASSWORD = "viewer", "stack-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def metadata_database():
    """A PostgreSQL database for Airflow's metadata, dropped (connections and all) when the block ends."""
    name = f"airflow_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


class AirflowStack:
    """The environment and processes of one test's Airflow; `run` calls its CLIs, `wait` polls with the logs on failure."""

    def __init__(self, home: Path, metadata_url: str, dags_folder: Path, env: dict[str, str]):
        self.home, self.logs, self.port = home, home / "process-logs", _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.logs.mkdir(parents=True, exist_ok=True)
        (home / "passwords.json").write_text(json.dumps({VIEWER: VIEWER_PASSWORD}))
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ, **env,
            "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder), "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2", "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API__PORT": str(self.port), "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "test-secret", "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5", "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__TRIGGERER__CAPACITY": "20",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{VIEWER}:viewer",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        }

    def run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """A command from the venv (airflow, csc-monitor), with this stack's environment; fails loudly."""
        done = subprocess.run([str(BIN / command[0]), *command[1:]], env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(command)}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done

    def start(self) -> None:
        for name in PROCESSES:
            extra = ["--port", str(self.port)] if name == "api-server" else []
            self.processes[name] = subprocess.Popen(
                [str(BIN / "airflow"), name, *extra], env=self.env, stdout=(self.logs / f"{name}.log").open("w"),
                stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        """Each process by its pid, with the process group it leads (LocalExecutor workers, the api-server's workers)."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def wait(self, what: str, condition, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(3)
        tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))
        raise AssertionError(f"timed out waiting for {what}\n{tails}")

    def api(self) -> httpx.Client:
        """A client of the api-server signed in as the viewer: the Simple auth manager's token, sent as a bearer token
        (Airflow's REST API and the plugin apps read it as they read the UI's cookie)."""
        def token():
            try:
                answer = httpx.post(f"{self.base_url}/auth/token", json={"username": VIEWER, "password": VIEWER_PASSWORD}, timeout=30)
            except httpx.TransportError:
                return None  # not listening yet
            return answer.json()["access_token"] if answer.is_success else None

        signed_in = self.wait("the api-server's login", token, 180)
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {signed_in}"}, timeout=60)

    def task_logs(self, dag_id: str, task_id: str) -> dict[str, str]:
        """Each run's log of a task (first map index, last attempt), keyed by run id."""
        logs = {}
        for path in sorted((self.home / "logs" / f"dag_id={dag_id}").glob(f"run_id=*/task_id={task_id}/**/attempt=*.log")):
            run_id = next(p.name for p in path.parents if p.name.startswith("run_id=")).removeprefix("run_id=")
            logs[run_id] = path.read_text()
        return logs


@contextmanager
def airflow_stack(home: Path, dags_folder: Path, env: dict[str, str]):
    """Migrated metadata on PostgreSQL and the four processes running; all stopped and dropped afterwards."""
    with metadata_database() as url:
        stack = AirflowStack(home, url, dags_folder, env)
        stack.run("airflow", "db", "migrate", timeout=300)
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()
