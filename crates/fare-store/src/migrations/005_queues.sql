-- Saved queues: ordered lists of samples to review, made from a filter and an order (most
-- uncertain first, confident but wrong first, random with a seed), from a chart cell of the
-- analysis view, or from a list of samples. A queue is a snapshot: its samples and their order
-- do not change when later judgments or labels would order them differently.

CREATE TABLE queues (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    origin     TEXT NOT NULL,              -- how it was made: 'filter' or 'samples' (a list given: a chart cell's, a diff cell's; `spec.from` says which)
    ordering   TEXT NOT NULL CHECK (ordering IN ('listed', 'uncertainty', 'confident-wrong', 'random')),
    spec       TEXT NOT NULL DEFAULT '{}', -- JSON: the filter, seed, run and measure it was made with
    item_count INTEGER NOT NULL,
    created_by TEXT,                       -- the annotator's name
    created_at TEXT NOT NULL
);

CREATE TABLE queue_items (
    queue_id  INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    rank      INTEGER NOT NULL,            -- position in the queue, from 1
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    score     REAL,                        -- what it was ordered by (entropy in bits, confidence), NULL when not known
    PRIMARY KEY (queue_id, rank)
) WITHOUT ROWID;
CREATE INDEX queue_items_by_sample ON queue_items(queue_id, sample_id);
