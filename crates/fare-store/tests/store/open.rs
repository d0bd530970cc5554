//! Opening project files: reopening keeps everything, the file is in WAL mode, and files of a
//! newer FARE Lens or of other programs are refused without a single write.

use fare_core::{AnnotationAction, Task};
use fare_store::migrations::LATEST;
use fare_store::{Project, StoreError};
use rusqlite::Connection;

use crate::{B, import, judged, new_run, pairwise, parsed, rows, sample};

#[test]
fn a_reopened_project_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.fare");
    let (sample_id, before) = {
        let mut project = Project::open_or_create(&path).unwrap();
        let mut p = sample("p", "Which?", pairwise("a", "b"));
        p.gold = Some(B);
        let id = import(&mut project, "set", &[p])[0];
        let run = project.begin_run(&new_run(Task::Pairwise, "m")).unwrap();
        let j = parsed(B, "b is right");
        project.add_judgment(run, &judged(id, &j)).unwrap();
        project
            .annotate(id, "alice", &AnnotationAction::Accept { verdict: B }, None)
            .unwrap();
        (
            id,
            (
                project.sample(id).unwrap(),
                project.datasets().unwrap(),
                project.runs().unwrap(),
                project.judgments_of(id).unwrap(),
                project.labels_of(id).unwrap(),
                project.info("created_at").unwrap(),
            ),
        )
    };
    for reopen in [Project::open(&path), Project::open_or_create(&path)] {
        let project = reopen.unwrap();
        assert_eq!(project.path(), path);
        assert_eq!(project.schema_version().unwrap(), LATEST);
        let after = (
            project.sample(sample_id).unwrap(),
            project.datasets().unwrap(),
            project.runs().unwrap(),
            project.judgments_of(sample_id).unwrap(),
            project.labels_of(sample_id).unwrap(),
            project.info("created_at").unwrap(),
        );
        assert_eq!(after, before);
        // Reopening does not seed the tags a second time.
        assert_eq!(
            rows(&project, "failure_tags"),
            fare_core::taxonomy::default_taxonomy().len() as i64
        );
    }
}

#[test]
fn a_new_project_records_its_creator_and_runs_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.fare");
    let project = Project::open_or_create(&path).unwrap();
    let created_by = project.info("created_by").unwrap().unwrap();
    assert!(created_by.starts_with("FARE Lens "), "{created_by}");
    assert!(project.info("created_at").unwrap().is_some());
    assert_eq!(project.info("no-such-key").unwrap(), None);
    let pragma = |name: &str| -> String {
        project
            .raw_connection()
            .query_row(&format!("SELECT * FROM pragma_{name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap()
    };
    assert_eq!(pragma("journal_mode"), "wal");
    assert_eq!(pragma("foreign_keys"), "1");
    assert_eq!(pragma("application_id"), 0x4641_5245.to_string());
    assert_eq!(pragma("user_version"), LATEST.to_string());
    drop(project);
    // WAL is a property of the file: another program opening it sees it too.
    let other = Connection::open(&path).unwrap();
    let mode: String = other
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// Writes schema version `version` into a project file and leaves it in rollback-journal mode,
/// so that the file is all there is (no -wal beside it).
fn set_version(path: &std::path::Path, version: i64) {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
}

#[test]
fn a_newer_project_is_refused_untouched_by_both_openers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.fare");
    {
        let mut project = Project::open_or_create(&path).unwrap();
        import(&mut project, "set", &[sample("p", "q", pairwise("a", "b"))]);
    }
    let future = LATEST as i64 + 1;
    set_version(&path, future);
    let before = std::fs::read(&path).unwrap();
    for (name, result) in [
        ("open", Project::open(&path)),
        ("open_or_create", Project::open_or_create(&path)),
    ] {
        let err = result.unwrap_err();
        match &err {
            StoreError::NewerSchema {
                path: p,
                found,
                supported,
            } => {
                assert_eq!(p, &path);
                assert_eq!(*found as i64, future);
                assert_eq!(*supported, LATEST);
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "{}: this project was written by a newer FARE Lens (schema version {future}; this build reads up to {LATEST}). The file was not changed.",
                path.display()
            )
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "{name} changed the file"
        );
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        vec!["future.fare".to_owned()],
        "no -wal or -shm made"
    );
}

#[test]
fn files_of_other_programs_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("app.db");
    {
        let conn = Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    for result in [Project::open(&other), Project::open_or_create(&other)] {
        let err = result.unwrap_err();
        assert!(matches!(err, StoreError::NotAProject { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: not a FARE Lens project (an SQLite file of another application)",
                other.display()
            )
        );
    }
    assert_eq!(std::fs::read(&other).unwrap(), before);

    let text = dir.path().join("readme.fare");
    let content =
        "not a database, just text that is long enough to fill an SQLite header. ".repeat(4);
    std::fs::write(&text, &content).unwrap();
    for result in [Project::open(&text), Project::open_or_create(&text)] {
        assert!(matches!(result, Err(StoreError::NotAProject { .. })));
    }
    assert_eq!(std::fs::read_to_string(&text).unwrap(), content);
}

#[test]
fn an_empty_file_becomes_a_project() {
    // A file made by `touch` (or a save dialog) is an empty database, not another program's.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.fare");
    std::fs::write(&path, b"").unwrap();
    let project = Project::open(&path).unwrap();
    assert_eq!(project.schema_version().unwrap(), LATEST);
    assert!(!project.tags().unwrap().is_empty());
}

#[test]
fn a_missing_file_is_not_created_by_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.fare");
    let err = Project::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Missing(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{}: no such project file", path.display())
    );
    assert!(!path.exists());
}

#[test]
fn a_file_migrated_by_the_migrations_alone_is_a_whole_project() {
    // Creating a project is one transaction: a crash between creating the schema and seeding
    // the tags or writing the header must not leave a file FARE Lens then refuses to open.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.fare");
    {
        let mut conn = Connection::open(&path).unwrap();
        fare_store::migrations::all().to_latest(&mut conn).unwrap();
        // Stops here, as if the process died right after the migration committed.
    }
    let project = Project::open(&path).unwrap();
    assert_eq!(
        project.tags().unwrap().len(),
        fare_core::taxonomy::default_taxonomy().len()
    );
    assert!(project.info("created_by").unwrap().is_some());
}

#[test]
fn two_connections_see_each_other_through_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.fare");
    let mut writer = Project::open_or_create(&path).unwrap();
    let reader = Project::open(&path).unwrap();
    let id = import(&mut writer, "set", &[sample("p", "q", pairwise("a", "b"))])[0];
    assert_eq!(reader.sample(id).unwrap().sample.external_id, "p");
}

#[test]
fn a_version_1_file_is_migrated_and_its_runs_learn_their_tasks() {
    use crate::{import, judged, new_run, pairwise, parsed, sample, steps};
    use fare_core::{Side, Task, Verdict};
    let (dir, mut project) = crate::new_project();
    let ids = import(
        &mut project,
        "d",
        &[
            sample("p", "Q", pairwise("a", "b")),
            sample("s", "Q", steps(&["x", "y"])),
        ],
    );
    let run = project.begin_run(&new_run(Task::Pairwise, "m")).unwrap();
    let j = parsed(Verdict::Pick(Side::A), "c");
    project.add_judgment(run, &judged(ids[0], &j)).unwrap();
    let path = project.path().to_owned();
    drop(project);
    // Turn the file back into what version 1 wrote.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE queue_items; DROP TABLE queues; DROP TABLE adjudications;
             DROP TABLE votes; DROP INDEX samples_by_task_id; DROP INDEX judgments_by_run_agreement; ALTER TABLE runs DROP COLUMN tasks;
             DROP TABLE sample_text;
             CREATE VIRTUAL TABLE sample_text USING fts5(question, steps, responses, content='', contentless_delete=1);
             CREATE VIRTUAL TABLE critique_text USING fts5(critique, content='', contentless_delete=1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let project = fare_store::Project::open(&path).unwrap();
    assert_eq!(
        project.schema_version().unwrap(),
        fare_store::migrations::LATEST
    );
    assert_eq!(project.runs().unwrap()[0].tasks, vec![Task::Pairwise]);
    assert_eq!(
        project.shown_runs(None).unwrap().of(Task::Pairwise),
        Some(run)
    );
    assert_eq!(project.shown_runs(None).unwrap().of(Task::StepLevel), None);
    // The search index is rebuilt from the tables, critiques included.
    let search = |text: &str| {
        let filter = fare_store::SampleFilter {
            text: Some(text.into()),
            ..fare_store::SampleFilter::default()
        };
        project
            .list_samples(&filter, 0, 10)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(search("c"), vec![ids[0]], "the critique of the judgment");
    assert_eq!(search("y"), vec![ids[1]], "a step");
    drop(dir);
}

#[test]
fn a_version_2_file_is_migrated_and_its_k_judgments_get_their_majority() {
    use crate::{A, B, import, judged, new_run, pairwise, parsed, sample};
    use fare_core::Task;
    let (dir, mut project) = crate::new_project();
    let mut p = sample("p", "Q", pairwise("a", "b"));
    p.gold = Some(A);
    let id = import(&mut project, "d", &[p])[0];
    let run = project.begin_run(&new_run(Task::Pairwise, "m")).unwrap();
    for (attempt, verdict) in [(0, B), (1, A), (2, A)] {
        let j = parsed(verdict, "c");
        project
            .add_judgment(
                run,
                &fare_store::NewJudgment {
                    attempt,
                    ..judged(id, &j)
                },
            )
            .unwrap();
    }
    let path = project.path().to_owned();
    drop(project);
    // Turn the file back into what version 2 wrote.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE queue_items; DROP TABLE queues; DROP TABLE adjudications; DROP TABLE votes; PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let project = fare_store::Project::open(&path).unwrap();
    assert_eq!(
        project.schema_version().unwrap(),
        fare_store::migrations::LATEST
    );
    let votes = project.votes_of(id).unwrap();
    assert_eq!(votes.len(), 1);
    assert_eq!(
        (votes[0].vote.verdict, votes[0].vote.votes, votes[0].vote.of),
        (Some(A), 2, 3)
    );
    assert_eq!(votes[0].agrees_with_gold, Some(true));
    drop(dir);
}

#[test]
fn two_connections_write_at_once_without_locking_each_other_out() {
    // The app annotates on its connection while a background job stores judgments on its own:
    // each waits for the other's transaction instead of failing with "database is locked".
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.fare");
    let (ids, run) = {
        let mut project = Project::open_or_create(&path).unwrap();
        let samples: Vec<_> = (0..100)
            .map(|i| sample(&format!("p{i}"), "Which?", pairwise("a", "b")))
            .collect();
        let ids = import(&mut project, "set", &samples);
        let run = project.begin_run(&new_run(Task::Pairwise, "m")).unwrap();
        (ids, run)
    };
    let job = {
        let (path, ids) = (path.clone(), ids.clone());
        std::thread::spawn(move || {
            let mut project = Project::open(&path).unwrap();
            let j = parsed(B, "b is right");
            for &id in &ids {
                project.add_judgment(run, &judged(id, &j)).unwrap();
            }
        })
    };
    let mut app = Project::open(&path).unwrap();
    for &id in &ids {
        app.annotate(id, "alice", &AnnotationAction::Accept { verdict: B }, None)
            .unwrap();
    }
    job.join().unwrap();
    assert_eq!(rows(&app, "judgments"), 100);
    assert_eq!(rows(&app, "annotation_events"), 100);
}

#[test]
fn a_project_file_with_a_trigger_or_view_is_refused_and_its_schema_is_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theirs.fare");
    let project = Project::open_or_create(&path).unwrap();
    let trusted: i64 = project
        .raw_connection()
        .query_row("PRAGMA trusted_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        trusted, 0,
        "the schema of a project file is someone's input"
    );
    drop(project);
    for (kind, sql) in [
        (
            "trigger",
            "CREATE TRIGGER spy AFTER INSERT ON annotation_events BEGIN DELETE FROM samples; END;",
        ),
        ("view", "CREATE VIEW everything AS SELECT * FROM samples;"),
    ] {
        let copy = dir.path().join(format!("with-{kind}.fare"));
        std::fs::copy(&path, &copy).unwrap();
        Connection::open(&copy).unwrap().execute_batch(sql).unwrap();
        let err = Project::open(&copy).unwrap_err();
        assert!(matches!(err, StoreError::NotAProject { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&format!("holds a {kind}")),
            "{err}"
        );
    }
}
