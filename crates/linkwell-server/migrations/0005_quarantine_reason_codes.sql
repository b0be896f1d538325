-- Why each change was quarantined, as a stable code (`reason::ReasonCode`, e.g.
-- `parent_not_known`) and what that reason names beyond the change's own kind (a field, the
-- parent's kind), so that nothing decides by matching text; `reason` keeps the text shown.
-- Written with every quarantine from this version on; the migration's hook fills them in for
-- earlier rows from their text (NULL for a text no server wrote).
ALTER TABLE quarantine ADD COLUMN reason_code TEXT;
ALTER TABLE quarantine ADD COLUMN reason_detail TEXT;
