//! Migration 3's data step, frozen: the majority of every run's repeated judgments, counted as
//! the schema of version 3 stores them. This is its own code, not today's vote counting, so a
//! later change there never changes what an old migration did to a file.

use fare_core::{Task, Verdict, VerdictRules, Vote};
use rusqlite::{Transaction, params};

/// Counts the majority of each (run, sample, order) with two or more attempts into `votes`.
pub(super) fn count_votes(tx: &Transaction<'_>) -> Result<(), String> {
    let groups: Vec<(i64, i64, String)> = tx
        .prepare(
            "SELECT run_id, sample_id, response_order FROM judgments
             GROUP BY run_id, sample_id, response_order HAVING count(*) > 1",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(|e| e.to_string())?;
    for (run, sample, order) in groups {
        count_one(tx, run, sample, &order)
            .map_err(|e| format!("run {run}, sample {sample}: {e}"))?;
    }
    Ok(())
}

fn count_one(tx: &Transaction<'_>, run: i64, sample: i64, order: &str) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let texts: Vec<Option<String>> = tx
        .prepare(
            "SELECT CASE parse_state WHEN 'parsed' THEN verdict END FROM judgments
             WHERE run_id = ?1 AND sample_id = ?2 AND response_order = ?3 ORDER BY attempt",
        )
        .and_then(|mut s| {
            s.query_map(params![run, sample, order], |r| r.get(0))?
                .collect()
        })
        .map_err(sql)?;
    let (task, step_count, gold): (String, usize, Option<String>) = tx
        .query_row(
            "SELECT task, step_count, gold_verdict FROM samples WHERE id = ?1",
            [sample],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(sql)?;
    let task: Task = task.parse().map_err(|e| format!("{e}"))?;
    let rules = VerdictRules {
        rating_scale: (i32::MIN, i32::MAX),
        ..VerdictRules::new(task, step_count)
    };
    let read = |text: &str| {
        Verdict::from_canonical(text, &rules).map_err(|e| format!("stored verdict `{text}`: {e}"))
    };
    let verdicts: Vec<Option<Verdict>> = texts
        .iter()
        .map(|t| t.as_deref().map(read).transpose())
        .collect::<Result<_, _>>()?;
    let vote = Vote::count(&verdicts);
    let gold = gold.as_deref().map(read).transpose()?;
    tx.execute(
        "INSERT INTO votes (run_id, sample_id, response_order, verdict, votes, attempts, agrees_with_gold)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (run_id, sample_id, response_order) DO UPDATE SET
           verdict = excluded.verdict, votes = excluded.votes, attempts = excluded.attempts,
           agrees_with_gold = excluded.agrees_with_gold",
        params![
            run,
            sample,
            order,
            vote.verdict.map(Verdict::canonical),
            vote.votes,
            vote.of,
            gold.map(|g| vote.verdict == Some(g)),
        ],
    )
    .map_err(sql)?;
    Ok(())
}
