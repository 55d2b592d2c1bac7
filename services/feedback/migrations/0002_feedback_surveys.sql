-- The office's calendar day of each survey (YYYY-MM-DD in the office's time zone), so that an
-- index over a period of days is one range condition for any office of the province; and one
-- survey per complaint (S14, SKM).
ALTER TABLE surveys ADD COLUMN submitted_on TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX surveys_complaint ON surveys (complaint_id);
CREATE INDEX surveys_office_day ON surveys (office_code, submitted_on, service_code);
