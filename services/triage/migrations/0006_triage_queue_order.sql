-- The screening queue's page (urgent first, then oldest) read in index order per status and
-- stopped at the page's end, instead of sorting every waiting complaint of the office (issue 14:
-- the console's queue page with 10,000 complaints).
CREATE INDEX cases_queue_order ON cases (office_code, status, urgent DESC, registered_at, complaint_id);
