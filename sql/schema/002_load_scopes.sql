-- Each loaded file is a complete picture of a scope (docs/exports.md "Where sources overlap"); a newer file of
-- the same scope replaces it (replaced_by). Added by ALTER so warehouses created before keep their loads.
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS scope VARCHAR;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS family VARCHAR;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS scope_order VARCHAR;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS period_start DATE;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS period_end DATE;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS exported_at TIMESTAMP;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS replaced_by VARCHAR;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS rows_added INTEGER;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS rows_removed INTEGER;
ALTER TABLE load_file ADD COLUMN IF NOT EXISTS rows_changed INTEGER;
