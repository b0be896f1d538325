-- Issue 17: services imported from an Open Referral UK feed, and what the feed says beyond
-- Linkwell's own fields. feed_snapshot is the feed's values as last imported (JSON), so a
-- re-import can tell a local edit from a feed change; feed_differs lists the feed's newer
-- values a local edit was kept over (JSON), for the worker to review.
ALTER TABLE service ADD COLUMN feed_id TEXT;
ALTER TABLE service ADD COLUMN feed_snapshot TEXT;
ALTER TABLE service ADD COLUMN feed_differs TEXT;
ALTER TABLE service ADD COLUMN feed_unlisted_on TEXT;
ALTER TABLE service ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE service ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE service ADD COLUMN min_age INTEGER;
ALTER TABLE service ADD COLUMN max_age INTEGER;
ALTER TABLE service ADD COLUMN eligibility TEXT;
ALTER TABLE service ADD COLUMN accessibility TEXT;
ALTER TABLE service ADD COLUMN schedule_note TEXT;
ALTER TABLE service ADD COLUMN website TEXT;
ALTER TABLE service ADD COLUMN uprn TEXT;
ALTER TABLE service ADD COLUMN latitude REAL;
ALTER TABLE service ADD COLUMN longitude REAL;
CREATE INDEX service_feed_id ON service(feed_id);
