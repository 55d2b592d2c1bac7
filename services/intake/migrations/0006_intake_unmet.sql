-- The S9 list (registered complaints still missing a requirement) from a partial index of just
-- those, instead of reading every complaint of the office (issue 14: the console's home page).
CREATE INDEX complaints_unmet ON complaints (current_office, status, registered_at DESC, id DESC) WHERE unmet_mask <> 0;
