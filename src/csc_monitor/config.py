"""Settings, read from the environment each time they are needed (never at import or DAG-parse time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    )
    values.update(overrides)
    for key in ("data_dir", "landing_dir"):
        values[key] = Path(values[key])
    return Settings(**values)
