-- The values a change's merge settled against its desk (server wins, last writer
-- wins, priority), as JSON: an edit that lost is never lost from the history.
ALTER TABLE change_log ADD COLUMN superseded TEXT;
