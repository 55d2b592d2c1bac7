-- Satisfaction surveys (SKM, PermenPAN-RB 14/2017): scores only, no respondent, for the IKM.
CREATE TABLE surveys (
    survey_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    service_code TEXT NOT NULL,
    complaint_id TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    u1 INTEGER NOT NULL,
    u2 INTEGER NOT NULL,
    u3 INTEGER NOT NULL,
    u4 INTEGER NOT NULL,
    u5 INTEGER NOT NULL,
    u6 INTEGER NOT NULL,
    u7 INTEGER NOT NULL,
    u8 INTEGER NOT NULL,
    u9 INTEGER NOT NULL
);
CREATE INDEX surveys_office ON surveys (office_code, submitted_at, service_code);
