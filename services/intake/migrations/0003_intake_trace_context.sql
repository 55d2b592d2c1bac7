-- The W3C trace context (traceparent, tracestate) of the complaint's latest lifecycle event, written
-- by a step here or received from another service: trace and span ids only, no personal data.
-- A person's next step on the complaint starts its own trace and links it to this span, so a
-- trace backend can follow the complaint's journey (docs/ARCHITECTURE.md, "Traces"). Empty for
-- complaints whose last event was not traced.
ALTER TABLE complaints ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN tracestate TEXT NOT NULL DEFAULT '';
