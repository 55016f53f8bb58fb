-- The n each rollup value rests on (the catalog's `sample`: decisions decided, open blockers,
-- people with calendars synced, …), so a panel can say "too few (n = 2)" instead of a number;
-- NULL when the value is withheld for privacy. Trailing windows for director scopes (grains
-- `w4`, `w12`, …: period_end a Monday, period_start N weeks before) share the table: the alert
-- rules read them, pooled over the window like `orgpulse metrics`, never a mean of weekly values.
ALTER TABLE metric_rollups ADD COLUMN IF NOT EXISTS sample Nullable(UInt32);
