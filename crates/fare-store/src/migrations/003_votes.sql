-- FARE Lens project schema, version 3.
-- votes: the majority verdict of a run's K judgments of one sample in one order (`judge
-- --samples K`), with how many of the K gave it; kept by the store as each judgment arrives.
-- Only (run, sample, order) with two or more attempts have a row.

CREATE TABLE votes (
    run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sample_id        INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    response_order   TEXT NOT NULL CHECK (response_order IN ('original', 'swapped')),
    verdict          TEXT,              -- the majority, canonical, in the data's A/B labels; NULL when no attempt had a verdict
    votes            INTEGER NOT NULL,  -- attempts that gave it
    attempts         INTEGER NOT NULL,  -- attempts so far (unparseable and truncated included)
    agrees_with_gold INTEGER,           -- NULL without ground truth
    PRIMARY KEY (run_id, sample_id, response_order)
) WITHOUT ROWID;

CREATE INDEX votes_by_sample ON votes(sample_id);
-- Votes of judgments stored before this version are counted by the migration's hook.
