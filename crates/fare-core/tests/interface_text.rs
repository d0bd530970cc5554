//! The shipped model-card templates must equal, byte for byte, the text of the FARE interface
//! document kept beside the project (`../shared/fare-interface.md`). When that folder is absent
//! (a checkout on its own), the test says so and checks nothing else.

use std::path::PathBuf;

use fare_core::{PromptMode, ResponseOrder, Sample, Task, Template, sample::Content};

fn interface_doc() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fare-interface.md");
    let text = std::fs::read_to_string(&path).ok();
    if text.is_none() {
        eprintln!(
            "SKIPPED: ../shared/fare-interface.md is not beside the project; the template text was not compared with it"
        );
    }
    text
}

/// The ```text blocks of the document, without the newline before each closing fence.
fn text_blocks(doc: &str) -> Vec<String> {
    doc.split("```text\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block.to_owned()))
        .collect()
}

#[test]
fn model_card_templates_match_the_interface_document() {
    let Some(doc) = interface_doc() else { return };
    let blocks = text_blocks(&doc);
    let pairwise = Template::builtin_for(Task::Pairwise).expect("pairwise template");
    let step = Template::builtin_for(Task::StepLevel).expect("step-level template");
    assert!(
        blocks.contains(&pairwise.system),
        "pairwise system message differs from the model card"
    );
    assert!(
        blocks.contains(&pairwise.user),
        "pairwise user message differs from the model card"
    );
    assert!(
        blocks.contains(&step.system),
        "step-level system message differs from the model card"
    );
    assert!(
        blocks.contains(&step.user),
        "step-level user message differs from the model card"
    );

    // The tagged-steps example of the document, rendered from its three steps.
    let example = blocks
        .iter()
        .find(|b| b.starts_with("<step 0>"))
        .expect("the document shows a tagged-steps example");
    let steps: Vec<String> = example
        .lines()
        .map(|l| {
            let open_end = l.find("> ").expect("tag") + 2;
            let close = l.rfind("</step").expect("closing tag");
            l[open_end..close].to_owned()
        })
        .collect();
    let sample = Sample {
        external_id: "doc".into(),
        source: None,
        question: "Q".into(),
        content: Content::StepLevel { steps },
        gold: None,
        metadata: serde_json::Map::new(),
    };
    let prompt = step
        .render(&sample, PromptMode::Critique, ResponseOrder::Original)
        .expect("render");
    assert!(prompt.user.contains(&format!(
        "[The Start of Assistant's Answer]\n{example}\n[The End"
    )));
}
