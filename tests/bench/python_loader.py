#!/usr/bin/env python3
"""A plain Python loader of ProcessBench files into a FARE Lens project: the reference the Rust
import path is timed against (tests/bench/import_vs_python.sh).

It is deliberately straightforward (standard library only: json, sqlite3, hashlib, tomllib) and
does the same work as `fare_io::import::import_file` with `fare_store::ImportWriter`:

- creates the project like the first migration does: 001_initial.sql, the application id, the
  schema version, project_info and the shipped failure-mode tags, in one transaction; WAL mode,
  foreign keys on, synchronous NORMAL;
- per file: sha256 of the bytes (an already imported file is skipped), then ONE transaction
  with the datasets row, and per record the samples row, its steps rows and its sample_text
  full-text row; the counts are written and the datasets row read back before the commit.

Usage: python_loader.py --project P FILE...
Prints one line per file and `imported N files, samples=S, seconds=T` (T: from opening the
project to the last commit, as `fare-bench import` measures it).
"""

import argparse
import hashlib
import json
import pathlib
import sqlite3
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "crates/fare-store/src/migrations").glob("*.sql"))
TAXONOMY = ROOT / "assets/taxonomy.toml"
APPLICATION_ID = 0x46415245  # "FARE"
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def schema():
    """The schema migrations in order, adapted to this Python's SQLite when it is too old."""
    sql = "\n".join(m.read_text(encoding="utf-8") for m in MIGRATIONS)
    sql += f"\nPRAGMA user_version = {len(MIGRATIONS)};\n"
    if sqlite3.sqlite_version_info < (3, 44, 0):
        # concat_ws arrived in SQLite 3.44; it only serves the migration's rebuild of the
        # full-text rows of existing samples, and a new project has none.
        sql = sql.replace("concat_ws(char(10), s.response, s.response_a, s.response_b)", "''")
    if sqlite3.sqlite_version_info < (3, 43, 0):
        # FTS5's contentless_delete arrived in SQLite 3.43; without it the full-text tables are
        # plain contentless ones (same tokens, same inserts; rows just cannot be deleted).
        print(
            f"python_loader: SQLite {sqlite3.sqlite_version} lacks FTS5 contentless_delete (3.43+): "
            "creating the full-text tables without it",
            file=sys.stderr,
        )
        sql = sql.replace(", contentless_delete=1", "")
    return sql


def open_project(path):
    conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN / COMMIT below
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == 0:
        tags = tomllib.loads(TAXONOMY.read_text(encoding="utf-8"))["tag"]
        # executescript commits a pending transaction first: open ours inside the script, and
        # commit it after the seeding below.
        conn.executescript("BEGIN;\n" + schema())
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(
            f"INSERT OR IGNORE INTO project_info (key, value) VALUES ('created_by', 'FARE Lens python loader'), ('created_at', {NOW})"
        )
        conn.executemany(
            "INSERT OR IGNORE INTO failure_tags (id, name, description, tasks, inferable, builtin) VALUES (?, ?, ?, ?, ?, 1)",
            [
                (t["id"], t["name"], t["description"], json.dumps(t.get("tasks", []), separators=(",", ":")), int(t.get("inferable", False)))
                for t in tags
            ],
        )
        conn.execute(f"PRAGMA user_version={len(MIGRATIONS)}")
        conn.execute("COMMIT")
    return conn


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            h.update(chunk)
    return h.hexdigest()


def sample_of(record, index, stem):
    """The columns ProcessBench's converter gives a record (fare_io::formats::known::processbench)."""
    rid = record["id"]
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        raise ValueError(f"record {index}: id: expected a string")
    steps = record["steps"]
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
        raise ValueError(f"record {index}: steps: expected a non-empty array of strings")
    label = int(record["label"])
    if not -1 <= label < len(steps):
        raise ValueError(f"record {index}: label: {label} is not -1 or a step index")
    problem = record["problem"]
    if not isinstance(problem, str):
        raise ValueError(f"record {index}: problem: expected a string")
    metadata = {k: v for k, v in record.items() if k not in ("id", "problem", "steps", "label")}
    return str(rid), problem, steps, str(label), json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)


def import_file(conn, path):
    name = str(path)
    digest = sha256_of(path)
    if conn.execute("SELECT 1 FROM datasets WHERE content_hash = ?", (digest,)).fetchone():
        return 0, True
    with open(path, "rb") as f:
        records = json.load(f)
    stem = pathlib.Path(path).stem
    conn.execute("BEGIN")
    try:
        cur = conn.execute(
            f"INSERT INTO datasets (name, source_file, format, content_hash, mapping, record_count, sample_count, imported_at) VALUES (?, ?, 'processbench', ?, NULL, 0, 0, {NOW})",
            (stem, name, digest),
        )
        dataset_id = cur.lastrowid
        for index, record in enumerate(records):
            external_id, problem, steps, gold, metadata = sample_of(record, index, stem)
            cur = conn.execute(
                "INSERT INTO samples (dataset_id, record_index, external_id, task, source, question, response, response_a, response_b, reference, rubric, step_count, gold_verdict, metadata)"
                " VALUES (?, ?, ?, 'step-level', ?, ?, NULL, NULL, NULL, NULL, NULL, ?, ?, ?)",
                (dataset_id, index, external_id, stem, problem, len(steps), gold, metadata),
            )
            sample_id = cur.lastrowid
            conn.executemany(
                "INSERT INTO steps (sample_id, step_index, text, gold_rating) VALUES (?, ?, ?, NULL)",
                [(sample_id, i, text) for i, text in enumerate(steps)],
            )
            conn.execute(
                "INSERT INTO sample_text (rowid, question, steps, responses, critiques) VALUES (?, ?, ?, ?, '')",
                (sample_id, problem, "\n".join(steps), ""),
            )
        conn.execute(
            "UPDATE datasets SET record_count = ?, sample_count = ?, skipped_count = 0 WHERE id = ?",
            (len(records), len(records), dataset_id),
        )
        conn.execute(
            "SELECT id, name, source_file, format, content_hash, record_count, sample_count, skipped_count, imported_at FROM datasets WHERE id = ?",
            (dataset_id,),
        ).fetchone()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(records), False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    start = time.perf_counter()
    conn = open_project(args.project)
    total = 0
    for path in args.files:
        count, already = import_file(conn, path)
        total += count
        print(f"{path}: {count} samples (processbench{', already imported' if already else ''})")
    conn.close()
    seconds = time.perf_counter() - start
    print(f"imported {len(args.files)} files, samples={total}, seconds={seconds:.4f}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, KeyError, sqlite3.Error) as e:
        print(f"python_loader: {e}", file=sys.stderr)
        sys.exit(1)
