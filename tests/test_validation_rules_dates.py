"""Bad inputs breaking rules on dates in the wrong order or out of range: for each, exactly the rules that fire, their severity, the rows
quarantined, and (end to end, for a critical and a warning case) what happens to the published figures (the corpus and its cases: tests/support/validation_corpus.py)."""

import pytest

from tests.support.validation_corpus import base, case_settings, clean_authority, engine_cases, fires_exactly_its_rule  # noqa: F401


@pytest.mark.parametrize("base,case", engine_cases("dates"), indirect=["base"])
def test_bad_input_fires_exactly_its_rule(case, case_settings, base):
    fires_exactly_its_rule(case, case_settings, base)
