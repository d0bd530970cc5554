-- Covering indexes for the failure-mode analysis, which reads every sample's facts and every
-- verdict of a run in one pass. Without them each row read walks past the text stored before
-- these columns (questions, raw outputs, critiques: overflow pages); with them the pass reads the
-- index alone.
CREATE INDEX IF NOT EXISTS samples_facts ON samples(id, task, dataset_id, source, step_count, gold_verdict);
CREATE INDEX IF NOT EXISTS judgments_verdicts ON judgments(run_id, attempt, sample_id, response_order, parse_state, verdict);
