-- FARE Lens project schema, version 2.
-- runs.tasks: the tasks a run has judged (JSON array), so "the newest run of each task" is one
-- cheap lookup; filled from the judgments already stored.
-- sample_text: critiques join the per-sample search row (see below).
-- samples_by_task_id: the sample list filtered by task walks samples in id order without sorting.
-- judgments_by_run_agreement: counts by evaluator agreement start from one run's judgments.

ALTER TABLE runs ADD COLUMN tasks TEXT NOT NULL DEFAULT '[]';

UPDATE runs SET tasks = coalesce((
    SELECT json_group_array(task) FROM (
        SELECT DISTINCT s.task AS task FROM judgments j JOIN samples s ON s.id = j.sample_id
        WHERE j.run_id = runs.id ORDER BY s.task)
), '[]');

CREATE INDEX samples_by_task_id ON samples(task, id);

-- Counting samples by how the evaluator did starts from a run's judgments.
CREATE INDEX judgments_by_run_agreement ON judgments(run_id, agrees_with_gold, response_order, attempt, sample_id);

-- One full-text row per sample, critiques included (rowid = samples.id), so a search returns
-- sample ids directly; critique_text (one row per judgment) is folded into it.
DROP TABLE sample_text;
DROP TABLE critique_text;
CREATE VIRTUAL TABLE sample_text USING fts5(question, steps, responses, critiques, content='', contentless_delete=1);
INSERT INTO sample_text (rowid, question, steps, responses, critiques)
SELECT s.id,
       s.question,
       coalesce((SELECT group_concat(text, char(10)) FROM (SELECT text FROM steps WHERE sample_id = s.id ORDER BY step_index)), ''),
       concat_ws(char(10), s.response, s.response_a, s.response_b),
       coalesce((SELECT group_concat(critique, char(10)) FROM (SELECT critique FROM judgments WHERE sample_id = s.id ORDER BY id)), '')
FROM samples s;
