-- FARE Lens project schema, version 4.
-- adjudications: a third person's decision about a sample its annotators disagree on. Append-only
-- like annotation_events: a decision is never changed, a later row replaces it. The sample's
-- adjudicated verdict is its latest row (by `at`, then `id`) when that row's action is
-- `adjudicate`; a `clear` row takes the adjudication back.

CREATE TABLE adjudications (
    id           INTEGER PRIMARY KEY,
    sample_id    INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),  -- who adjudicated
    at           TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('adjudicate', 'clear')),
    verdict      TEXT,                                          -- canonical; NULL for `clear`
    note         TEXT,
    CHECK ((action = 'adjudicate') = (verdict IS NOT NULL))
);

CREATE INDEX adjudications_by_sample ON adjudications(sample_id, at, id);
