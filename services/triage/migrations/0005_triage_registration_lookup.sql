-- S4 duplicate decisions name the earlier complaint by its registration number, as the office
-- knows it: looked up within the office.
CREATE INDEX cases_registration ON cases (office_code, registration_number);
