"""Settings, read from the environment each time they are needed (never at import or DAG-parse time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_dir() -> Path:
    """The checkout (or image folder) holding indicators/, sql/ and expectations/."""
    configured = os.environ.get("CSC_MONITOR_PROJECT_DIR")
    return Path(configured) if configured else PACKAGE_DIR.parents[1]


@dataclass(frozen=True)
class Settings:
    warehouse_url: str
    data_dir: Path
    landing_dir: Path
    authority: str
    slack_token: str | None
    slack_base_url: str | None
    default_channel: str
    run_link_base: str | None
    dashboard_url: str | None = None  # the Airflow api-server's public address: alerts link to the dashboard
    ops_channel: str = "#csc-operations"  # operational alerts: failed tasks, missed deadlines
    # validation thresholds an authority may tune (supplied to the suites as $PARAMETERs)
    volume_band_percent: float = 50.0  # a table shrinking by more than this against the last passing run is critical
    denominator_band_percent: float = 50.0  # a denominator shrinking by more than this against the previous as-at is a warning
    small_number_limit: int = 5  # previous denominators below this are too small to judge a collapse
    extract_date: date | None = None  # no event may be dated after it (default: the latest export's reference date); an undated Annex A's date
    export_due_by: time = time(7, 0)  # no new export by this time on the day after the as-at date: freshness alert
    export_max_age_days: int = 31  # latest export's reference date older than this before the as-at date: freshness alert
    data_docs: bool = True  # build Great Expectations Data Docs into reports/<run_id>/
    strict_ingest: bool = False  # `ingest --strict`: a census breaking its schema anywhere is rejected whole
    collection_year: int | None = None  # `ingest --collection-year`: for 903 files whose name and folder do not say
    authority_configured: bool = True  # False when CSC_MONITOR_AUTHORITY is unset and `authority` is its default
    authorities: tuple[str, ...] = ()  # regional mode: the authority codes one run covers (CSVs carry the code in their name)
    settle_seconds: float = 30.0  # a landed file is read once unchanged this long (or marked <file>.done)
    drop_poll_seconds: float = 15.0  # how often the landing-folder watcher looks for a complete drop
    lock_wait_seconds: float = 0.0  # how long a second ingest or figures run waits for the one running before it gives up

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def outbox_file(self) -> Path:
        """Where messages go when no Slack token is set."""
        return self.data_dir / "outbox" / "slack_messages.jsonl"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def load_settings(**overrides) -> Settings:
    """Build settings from CSC_MONITOR_* / SLACK_* variables; keyword overrides win."""
    env = os.environ
    data_dir = Path(env.get("CSC_MONITOR_DATA_DIR", project_dir() / "data"))
    values = dict(
        warehouse_url=env.get("CSC_MONITOR_WAREHOUSE_URL", f"duckdb:///{data_dir / 'warehouse.duckdb'}"),
        data_dir=data_dir,
        landing_dir=Path(env.get("CSC_MONITOR_LANDING_DIR", data_dir / "landing")),
        authority=env.get("CSC_MONITOR_AUTHORITY", "999"),
        slack_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_base_url=env.get("SLACK_API_BASE_URL") or None,
        default_channel=env.get("CSC_MONITOR_DEFAULT_CHANNEL", "#csc-performance"),
        run_link_base=env.get("CSC_MONITOR_RUN_LINK_BASE") or None,
        dashboard_url=env.get("CSC_MONITOR_DASHBOARD_URL") or None,
        ops_channel=env.get("CSC_MONITOR_OPS_CHANNEL", "#csc-operations"),
        volume_band_percent=float(env.get("CSC_MONITOR_VOLUME_BAND_PERCENT", 50)),
        denominator_band_percent=float(env.get("CSC_MONITOR_DENOMINATOR_BAND_PERCENT", 50)),
        small_number_limit=int(env.get("CSC_MONITOR_SMALL_NUMBER_LIMIT", 5)),
        extract_date=date.fromisoformat(env["CSC_MONITOR_EXTRACT_DATE"]) if env.get("CSC_MONITOR_EXTRACT_DATE") else None,
        export_due_by=time.fromisoformat(env.get("CSC_MONITOR_EXPORT_DUE_BY", "07:00")),
        export_max_age_days=int(env.get("CSC_MONITOR_EXPORT_MAX_AGE_DAYS", 31)),
        data_docs=env.get("CSC_MONITOR_DATA_DOCS", "1") not in ("0", "false", "no"),
        settle_seconds=float(env.get("CSC_MONITOR_SETTLE_SECONDS", 30)),
        drop_poll_seconds=float(env.get("CSC_MONITOR_DROP_POLL_SECONDS", 15)),
        lock_wait_seconds=float(env.get("CSC_MONITOR_LOCK_WAIT_SECONDS", 0)),
        authorities=tuple(code.strip() for code in env.get("CSC_MONITOR_AUTHORITIES", "").split(",") if code.strip()),
    )
    values["authority_configured"] = "CSC_MONITOR_AUTHORITY" in env
    values.update(overrides)
    values["authority_configured"] = values["authority_configured"] or "authority" in overrides
    for key in ("data_dir", "landing_dir"):
        values[key] = Path(values[key])
    values["authorities"] = tuple(values["authorities"])
    return Settings(**values)
