-- An indicator's units with the team and worker each one counts under: the one place that rule is stated.
-- Every indicator's SQL (the subquery `unit` below, put in by engine.unit_sql) returns its units with a
-- team_date: the day that decides whose unit it is, chosen per indicator and described by `team_rule` in
-- its YAML (the as-at date, the authorisation date, the due date, the plan start, ...). The team and worker
-- are the child's allocation open on that day (start and end inclusive, end blank while open); a child
-- with no allocation that day counts as Unallocated. Validation quarantines overlapping allocations, so
-- at most one matches. {schedule} is the unit's own schedule column for an indicator whose YAML lists `schedules`
-- (engine.unit_sql), else blank.
SELECT unit.authority, unit.as_at, unit.unit_key, unit.child_id, unit.start_date, unit.end_date, unit.elapsed,
       unit.status, unit.in_denominator, unit.met,
       COALESCE(a.team, 'Unallocated') AS team,
       COALESCE(a.worker, 'Unallocated') AS worker,
       unit.source_file, unit.source_ref, unit.method, {schedule} AS schedule
FROM ({unit_sql}) unit
LEFT JOIN allocation a
       ON a.authority = unit.authority AND a.child_id = unit.child_id
      AND a.start_date <= unit.team_date AND (a.end_date IS NULL OR a.end_date >= unit.team_date)
