-- Issue 13: one record per person. When a worker decides that a likely match is a different
-- person, the record keeps which records it was checked against and who decided, so the same
-- pair is not offered again. (The search index is rebuilt by this migration's hook: numbers
-- are indexed with and without spaces, and services by the words of their categories.)
ALTER TABLE person ADD COLUMN distinct_from TEXT NOT NULL DEFAULT '[]';
ALTER TABLE person ADD COLUMN distinct_decided_by TEXT REFERENCES worker(id);
