"""Records repeated inside one export are resolved as it loads, so a repeat never reaches the warehouse.

Identical repeats (every value the same) collapse into one, counted on the loaded line. Conflicting
repeats (one natural key, different values: a child twice in Header with two dates of birth, one
review date twice with two codes) keep one row by a stated rule, and the others are quarantined with
their file and row: the row with the most values filled wins, and among equally full rows the last in
the file (exports append corrections). A repeat is a warning about the data, never a failure.
"""

from __future__ import annotations

import pandas as pd

from .model import ParsedExport

PLACE_COLUMNS = ("source_ref", "source_file")


def _plain(value):
    return None if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else value


def resolve_repeats(parsed: ParsedExport, natural_keys: dict[str, tuple[str, ...]]) -> ParsedExport:
    """Collapse identical repeats and set aside conflicting ones in every table of a parsed export."""
    collapsed = conflicting = 0
    for table, frame in list(parsed.tables.items()):
        if frame.empty:
            continue
        content = [c for c in frame.columns if c not in PLACE_COLUMNS]
        identical = frame.duplicated(subset=content, keep="first")
        collapsed += int(identical.sum())
        frame = frame[~identical]
        keys = [k for k in natural_keys[table] if k in frame.columns]
        repeated = frame.duplicated(subset=keys, keep=False)
        if repeated.any():
            before = len(frame)
            frame = _keep_one_per_key(parsed, table, frame, keys, repeated, content)
            conflicting += before - len(frame)
        parsed.tables[table] = frame
    if collapsed:
        parsed.notes.append(f"{collapsed} identical repeated row{'s' if collapsed > 1 else ''} collapsed")
    if conflicting:
        parsed.notes.append(f"{conflicting} conflicting repeated row{'s' if conflicting > 1 else ''} set aside")
    return parsed


def _keep_one_per_key(parsed: ParsedExport, table: str, frame: pd.DataFrame, keys: list[str], repeated: pd.Series,
                      content: list[str]) -> pd.DataFrame:
    set_aside = []
    clash = frame[repeated].assign(_filled=frame[repeated][content].notna().sum(axis=1), _order=range(int(repeated.sum())))
    for _, group in clash.groupby(keys, dropna=False, sort=False):
        kept = group.sort_values(["_filled", "_order"]).index[-1]
        others = [index for index in group.index if index != kept]
        set_aside += others
        shown_keys = ", ".join(k for k in keys if k != "authority")
        parsed.warnings.append(
            f"{group.at[kept, 'source_ref']} and {', '.join(group.loc[others, 'source_ref'])}: same {table} key ({shown_keys}) with "
            f"different values: kept {group.at[kept, 'source_ref']} (most values filled, then last), set aside the other{'s' if len(others) > 1 else ''}")
        for index in others:
            parsed.quarantined.append({
                "table": table, "rule": f"repeated key in one file: kept {group.at[kept, 'source_ref']}",
                "source_ref": frame.at[index, "source_ref"],
                "row": {column: _plain(frame.at[index, column]) for column in content},
            })
    return frame.drop(index=set_aside)
