//! The full-text index of the samples (`sample_text`, FTS5): the row each sample has (its
//! problem, steps, responses and critiques), kept current as judgments add critiques, and the
//! query a person's search text becomes.

use crate::Result;

/// The full-text row of every sample, made from the tables (a `WHERE` may follow).
pub(crate) const SEARCH_ROWS: &str = "INSERT INTO sample_text (rowid, question, steps, responses, critiques)
     SELECT s.id, s.question,
            coalesce((SELECT group_concat(text, char(10)) FROM (SELECT text FROM steps WHERE sample_id = s.id ORDER BY step_index)), ''),
            concat_ws(char(10), s.response, s.response_a, s.response_b),
            coalesce((SELECT group_concat(critique, char(10)) FROM (SELECT critique FROM judgments WHERE sample_id = s.id ORDER BY id)), '')
     FROM samples s";

/// Rewrites a sample's full-text row from the tables (after a new judgment adds a critique).
pub(crate) fn reindex_sample_text(tx: &rusqlite::Connection, sample_id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM sample_text WHERE rowid = ?1")?
        .execute([sample_id])?;
    tx.prepare_cached(&format!("{SEARCH_ROWS} WHERE s.id = ?1"))?
        .execute([sample_id])?;
    Ok(())
}

/// Rebuilds the whole full-text index from the tables. For bulk writers that insert
/// judgments with their own SQL (the benchmarks); call it inside their transaction.
pub fn rebuild_search_index(tx: &rusqlite::Connection) -> Result<()> {
    tx.execute(
        "INSERT INTO sample_text (sample_text) VALUES ('delete-all')",
        [],
    )?;
    tx.execute(SEARCH_ROWS, [])?;
    Ok(())
}

/// Turns what a person typed into an FTS5 query: every word must appear, and text between
/// double quotes must appear as that phrase (`"divides by zero"`). Each word and phrase is
/// quoted, so FTS5 operators and punctuation in the text cannot break the query.
///
/// Control characters separate words (FTS5 reads a NUL as the end of the query). A word or
/// phrase without a letter or digit (`-`, `*`) holds no token and is left out, so `zebra -`
/// finds what `zebra` finds; text with no word at all is no query (`None`: nothing is filtered).
/// An unclosed quote runs to the end of the text.
pub fn fts_query(text: &str) -> Option<String> {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut terms = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        // Odd parts are inside quotes: one phrase each; even parts are loose words.
        let pieces: Vec<&str> = if i % 2 == 1 {
            vec![part.trim()]
        } else {
            part.split_whitespace().collect()
        };
        for piece in pieces {
            if piece.chars().any(char::is_alphanumeric) {
                terms.push(format!("\"{piece}\""));
            }
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn quoted_text_is_a_phrase_and_loose_words_are_all_required() {
        assert_eq!(fts_query("step  zero"), Some("\"step\" \"zero\"".into()));
        assert_eq!(
            fts_query("\"divides by zero\" step"),
            Some("\"divides by zero\" \"step\"".into())
        );
        assert_eq!(fts_query("AND OR * - ()"), Some("\"AND\" \"OR\"".into()));
        assert_eq!(
            fts_query("\"unclosed phrase"),
            Some("\"unclosed phrase\"".into())
        );
        assert_eq!(fts_query(" - * \u{0}"), None);
    }
}
