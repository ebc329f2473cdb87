"""The readable validation report of a run: summary.txt (what `csc-monitor validate` prints) and GX Data Docs.

Both go to <data>/reports/<run_id>/. Data Docs are static HTML that load their stylesheets and
scripts from public CDNs (jsdelivr, cdnjs, jquery): opened without internet they render unstyled.
They show failing values and row ids: like summary.txt, they stay inside the authority.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..config import Settings

SITE = "run"


def report_dir(settings: Settings, run_id: str) -> Path:
    return settings.reports_dir / re.sub(r"[^\w.:+=-]", "_", run_id)


def _data_docs(context, directory: Path, run_id: str, validations) -> None:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context.add_data_docs_site(site_name=SITE, site_config={
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory.resolve())},
    })
    for suite, validation in validations:
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=RunIdentifier(run_name=run_id), batch_identifier=suite.table,
        )
        context.validation_results_store.set(key, validation)
    context.build_data_docs(site_names=[SITE])


def write_report(context, settings: Settings, outcome, validations) -> Path:
    """Write summary.txt (all stages so far) and, when enabled, this stage's Data Docs."""
    directory = report_dir(settings, outcome.run_id)
    directory.mkdir(parents=True, exist_ok=True)
    outcome.report_dir = directory
    if settings.data_docs and validations:
        _data_docs(context, directory, outcome.run_id, validations)
    (directory / "summary.txt").write_text(outcome.summary() + "\n")
    return directory
