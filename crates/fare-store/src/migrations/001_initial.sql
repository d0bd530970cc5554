-- FARE Lens project schema, version 1.
-- Documented for people who query project files with sqlite3, pandas or DuckDB: see
-- docs/project-schema.md. Verdicts are stored in canonical text form: `A`/`B`, a step index or
-- `-1`, `correct`/`incorrect`, an integer rating. Times are RFC 3339 UTC.

CREATE TABLE project_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    source_file   TEXT NOT NULL,
    format        TEXT NOT NULL,
    content_hash  TEXT NOT NULL UNIQUE,
    mapping       TEXT,
    record_count  INTEGER NOT NULL,
    sample_count  INTEGER NOT NULL,
    skipped_count INTEGER NOT NULL DEFAULT 0,
    imported_at   TEXT NOT NULL
);

CREATE TABLE samples (
    id           INTEGER PRIMARY KEY,
    dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    record_index INTEGER NOT NULL,
    external_id  TEXT NOT NULL,
    task         TEXT NOT NULL CHECK (task IN ('pairwise', 'step-level', 'reference-free', 'reference-based', 'rating')),
    source       TEXT,
    question     TEXT NOT NULL,
    response     TEXT,
    response_a   TEXT,
    response_b   TEXT,
    reference    TEXT,
    rubric       TEXT,
    step_count   INTEGER NOT NULL DEFAULT 0,
    gold_verdict TEXT,
    metadata     TEXT NOT NULL DEFAULT '{}',
    UNIQUE (dataset_id, external_id)
);
CREATE INDEX samples_by_task ON samples(task, dataset_id);
CREATE INDEX samples_by_source ON samples(dataset_id, source);

CREATE TABLE steps (
    sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    step_index  INTEGER NOT NULL,
    text        TEXT NOT NULL,
    gold_rating INTEGER,
    PRIMARY KEY (sample_id, step_index)
) WITHOUT ROWID;

CREATE TABLE models (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('local', 'endpoint', 'external')),
    location     TEXT,
    architecture TEXT,
    details      TEXT NOT NULL DEFAULT '{}',
    added_at     TEXT NOT NULL
);

CREATE TABLE templates (
    id           INTEGER PRIMARY KEY,
    task         TEXT NOT NULL,
    name         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    provenance   TEXT NOT NULL CHECK (provenance IN ('model-card', 'provisional')),
    content_hash TEXT NOT NULL UNIQUE,
    body         TEXT NOT NULL,
    added_at     TEXT NOT NULL
);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    model_id    INTEGER NOT NULL REFERENCES models(id),
    template_id INTEGER REFERENCES templates(id),
    mode        TEXT NOT NULL DEFAULT 'critique' CHECK (mode IN ('critique', 'direct')),
    params      TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled', 'failed', 'imported')),
    label       TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

CREATE TABLE judgments (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sample_id      INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    response_order TEXT NOT NULL DEFAULT 'original' CHECK (response_order IN ('original', 'swapped')),
    attempt        INTEGER NOT NULL DEFAULT 0,
    raw_output     TEXT NOT NULL,
    critique       TEXT NOT NULL,
    analysis       TEXT,
    parse_state    TEXT NOT NULL CHECK (parse_state IN ('parsed', 'unparseable', 'truncated')),
    parse_error    TEXT,
    verdict        TEXT,
    agrees_with_gold INTEGER,
    prompt_tokens  INTEGER,
    output_tokens  INTEGER,
    latency_ms     INTEGER,
    verdict_probs  TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (run_id, sample_id, response_order, attempt)
);
CREATE INDEX judgments_by_sample ON judgments(sample_id, run_id);

CREATE TABLE annotators (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE failure_tags (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    tasks       TEXT NOT NULL DEFAULT '[]',
    inferable   INTEGER NOT NULL DEFAULT 0,
    builtin     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE annotation_events (
    id           INTEGER PRIMARY KEY,
    sample_id    INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    judgment_id  INTEGER REFERENCES judgments(id) ON DELETE SET NULL,
    at           TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('accept', 'correct', 'wrong-reason', 'tag', 'note', 'clear', 'undo', 'redo')),
    verdict      TEXT,
    tag          TEXT,
    flag         INTEGER,
    note         TEXT
);
CREATE INDEX annotation_events_by_sample ON annotation_events(sample_id, annotator_id, id);

-- Derived from annotation_events (rebuilt on every event of the sample and annotator): the
-- current label, for fast lists and filters. Never edit it by hand.
CREATE TABLE labels (
    sample_id    INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    decision     TEXT NOT NULL CHECK (decision IN ('unreviewed', 'accepted', 'corrected')),
    verdict      TEXT,
    wrong_reason INTEGER NOT NULL DEFAULT 0,
    tags         TEXT NOT NULL DEFAULT '[]',
    note         TEXT,
    judgment_id  INTEGER REFERENCES judgments(id) ON DELETE SET NULL,
    first_at     TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (sample_id, annotator_id)
) WITHOUT ROWID;
CREATE INDEX labels_by_decision ON labels(decision, sample_id);

CREATE TABLE label_tags (
    sample_id    INTEGER NOT NULL,
    annotator_id INTEGER NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (tag, sample_id, annotator_id),
    FOREIGN KEY (sample_id, annotator_id) REFERENCES labels(sample_id, annotator_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Full-text search. rowid = samples.id (sample_text) and judgments.id (critique_text).
CREATE VIRTUAL TABLE sample_text USING fts5(question, steps, responses, content='', contentless_delete=1);
CREATE VIRTUAL TABLE critique_text USING fts5(critique, content='', contentless_delete=1);
