//! Adjudications and the final label of a sample several people labelled.

use fare_core::{AnnotationAction, FinalLabel, FinalSource, Resolved, Task, Unresolved};
use fare_store::StoreError;

use crate::{A, B, import, new_project, pairwise, rows, sample, step, steps};

#[test]
fn an_adjudication_is_the_final_label_until_cleared_and_nothing_is_overwritten() {
    let (_dir, mut project) = new_project();
    let ids = import(
        &mut project,
        "set",
        &[
            sample("p", "q", pairwise("x", "y")),
            sample("s", "q", steps(&["a", "b"])),
        ],
    );
    let (p, s) = (ids[0], ids[1]);
    let decide = |project: &mut fare_store::Project, who: &str, v| {
        project
            .annotate(p, who, &AnnotationAction::Correct { verdict: v }, None)
            .unwrap();
    };
    decide(&mut project, "ana", A);
    decide(&mut project, "ben", B);
    let adjudicated = FinalLabel::Adjudicated;
    assert_eq!(
        project.final_verdict(p, &adjudicated).unwrap(),
        Resolved::None(Unresolved::NotAdjudicated)
    );
    assert_eq!(
        project.final_verdict(p, &FinalLabel::Majority).unwrap(),
        Resolved::None(Unresolved::Tie)
    );

    project
        .adjudicate(p, "cy", Some(A), Some("A handles n = 0"))
        .unwrap();
    let second = project.adjudicate(p, "cy", Some(B), None).unwrap();
    assert_eq!(second.verdict, Some(B));
    assert_eq!(
        project.final_verdict(p, &adjudicated).unwrap(),
        Resolved::Verdict {
            verdict: B,
            source: FinalSource::Adjudicated
        },
        "the latest decision counts"
    );
    assert_eq!(
        project
            .final_verdict(p, &FinalLabel::Annotator { name: "ana".into() })
            .unwrap()
            .verdict(),
        Some(&A)
    );
    // The annotators' own labels are untouched by the adjudication.
    let labels = project.labels_of(p).unwrap();
    assert_eq!(
        labels
            .iter()
            .map(|l| (l.annotator.as_str(), l.label.verdict))
            .collect::<Vec<_>>(),
        [("ana", Some(A)), ("ben", Some(B))]
    );
    assert_eq!(
        project
            .adjudicated_verdicts()
            .unwrap()
            .get(&p)
            .map(String::as_str),
        Some("B")
    );

    project
        .adjudicate(p, "cy", None, Some("asked for a second look"))
        .unwrap();
    assert_eq!(project.adjudication_of(p).unwrap(), None);
    assert!(project.adjudicated_verdicts().unwrap().is_empty());
    let history = project.adjudication_history(p).unwrap();
    assert_eq!(
        history.iter().map(|a| a.verdict).collect::<Vec<_>>(),
        [Some(A), Some(B), None],
        "every decision stays in the record"
    );
    assert_eq!(history[0].note.as_deref(), Some("A handles n = 0"));
    assert_eq!(rows(&project, "adjudications"), 3);

    // A verdict that does not fit the sample, or an unknown sample: nothing written.
    let e = project
        .adjudicate(s, "cy", Some(step(5)), None)
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let e = project.adjudicate(s, "cy", Some(A), None).unwrap_err();
    assert!(e.to_string().contains(&format!("sample {s}")), "{e}");
    assert!(project.adjudicate(999, "cy", None, None).is_err());
    assert_eq!(rows(&project, "adjudications"), 3);

    // Every annotator's current verdict, for agreement.
    let verdicts = project.human_verdicts(Some(Task::Pairwise), None).unwrap();
    assert_eq!(
        verdicts
            .iter()
            .map(|v| (v.sample_id, v.annotator.as_str(), v.verdict.as_str()))
            .collect::<Vec<_>>(),
        [(p, "ana", "A"), (p, "ben", "B")]
    );
    assert!(
        project
            .human_verdicts(Some(Task::StepLevel), None)
            .unwrap()
            .is_empty()
    );
}
