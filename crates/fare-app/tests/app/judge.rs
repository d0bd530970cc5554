//! The judging pipeline with a judge that answers as gpt-oss does (harmony channels) on a real
//! project file: the reasoning effort reaches the judge and is a run setting (another effort is
//! another run; runs stored before the setting existed count as medium), the verdict is read
//! from the final channel and the analysis channel is stored apart.

#![allow(
    clippy::unwrap_used,
    reason = "a failing setup should stop the test where it failed"
)]

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use fare_app::judge::{JudgeOptions, judge};
use fare_core::parse::{Finish, read_output};
use fare_core::{Prompt, PromptMode, Task, Template, VerdictRules};
use fare_engine::EngineError;
use fare_engine::evaluator::{Judge, JudgeOutput};
use fare_engine::generate::SamplingParams;
use fare_engine::harmony::ReasoningEffort;
use fare_io::import::{ImportOptions, import_file};
use fare_store::{NewRun, Project, SampleFilter};

/// Answers every prompt in harmony, step 0 wrong in the analysis but -1 in the final answer;
/// keeps the reasoning effort of each request.
struct HarmonyJudge {
    efforts: Arc<Mutex<Vec<ReasoningEffort>>>,
}

impl Judge for HarmonyJudge {
    fn judge(
        &mut self,
        _prompt: &Prompt,
        rules: &VerdictRules,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Option<JudgeOutput>, EngineError> {
        self.efforts.lock().unwrap().push(params.reasoning_effort);
        let raw = "<|channel|>analysis<|message|>Maybe step 0 is wrong. Verdict: 0<|end|>\
                   <|start|>assistant<|channel|>final<|message|>Explanation: every step holds.\nVerdict: -1";
        if on_text(raw).is_break() {
            return Ok(None);
        }
        Ok(Some(JudgeOutput {
            judgment: read_output(raw, rules, Finish::Stopped),
            prompt_tokens: 10,
            output_tokens: 20,
            elapsed: std::time::Duration::from_millis(5),
            tokens_per_second: 4000.0,
            verdict_probs: None,
            verdict_probs_forced: false,
        }))
    }

    fn location(&self) -> String {
        "models/fare-20b".into()
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

fn options(effort: ReasoningEffort, limit: usize) -> JudgeOptions {
    JudgeOptions {
        filter: SampleFilter::default(),
        samples: None,
        limit: Some(limit),
        sampling: SamplingParams {
            reasoning_effort: effort,
            ..SamplingParams::default()
        },
        attempts: 1,
        swap: false,
        mode: PromptMode::Critique,
        model_name: "FARE-20B".into(),
        new_run: false,
    }
}

#[test]
fn the_reasoning_effort_is_a_run_setting_and_the_verdict_comes_from_the_final_channel() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pb.json");
    std::fs::write(
        &data,
        r#"[{"id": "t-0", "problem": "1 + 1?", "steps": ["1 + 1 = 2."], "label": -1},
            {"id": "t-1", "problem": "2 + 2?", "steps": ["2 + 2 = 4."], "label": -1},
            {"id": "t-2", "problem": "3 + 3?", "steps": ["3 + 3 = 6."], "label": -1}]"#,
    )
    .unwrap();
    let mut project = Project::open_or_create(&dir.path().join("p.fare")).unwrap();
    import_file(&mut project, &data, &ImportOptions::default(), &mut |_| {}).unwrap();
    let efforts = Arc::new(Mutex::new(Vec::new()));
    let mut harmony = HarmonyJudge {
        efforts: Arc::clone(&efforts),
    };
    let mut go = |project: &mut Project, effort, limit| {
        judge(project, &mut harmony, &options(effort, limit), &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap()
    };

    let high = go(&mut project, ReasoningEffort::High, 1);
    assert_eq!(
        (high.run_id, high.resumed, high.judged),
        (Some(1), false, 1)
    );
    let (verdict, analysis, critique, params): (String, String, String, String) = project
        .raw_connection()
        .query_row(
            "SELECT j.verdict, j.analysis, j.critique, r.params FROM judgments j JOIN runs r ON r.id = j.run_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        verdict, "-1",
        "the final channel's verdict, not the analysis's 0"
    );
    assert_eq!(analysis, "Maybe step 0 is wrong. Verdict: 0");
    assert_eq!(critique, "every step holds.");
    let params: serde_json::Value = serde_json::from_str(&params).unwrap();
    assert_eq!(params["reasoning_effort"], "high");

    // Another effort is another run; the same effort continues its run (`limit` counts the
    // samples still to judge).
    let low = go(&mut project, ReasoningEffort::Low, 1);
    assert_eq!((low.run_id, low.resumed), (Some(2), false));
    let again = go(&mut project, ReasoningEffort::High, 2);
    assert_eq!(
        (again.run_id, again.resumed, again.judged, again.skipped),
        (Some(1), true, 2, 1)
    );

    // A run stored before the effort was a setting: medium continues it, nothing else does.
    let earlier = project
        .begin_run(&NewRun {
            model_name: "FARE-20B".into(),
            model_kind: "local".into(),
            model_location: Some("models/fare-20b".into()),
            template: Template::builtin_for(Task::StepLevel).unwrap(),
            mode: fare_core::PromptMode::Critique,
            params: serde_json::json!({
                "model_path": "models/fare-20b",
                "temperature": 0.0,
                "top_p": null,
                "seed": 0,
                "max_new_tokens": 4096,
                "attempts": 1,
                "swap": false,
            }),
            status: fare_store::RunStatus::Cancelled,
            label: None,
        })
        .unwrap();
    let medium = go(&mut project, ReasoningEffort::Medium, 1);
    assert_eq!((medium.run_id, medium.resumed), (Some(earlier), true));
    assert_eq!(
        *efforts.lock().unwrap(),
        [
            ReasoningEffort::High,
            ReasoningEffort::Low,
            ReasoningEffort::High,
            ReasoningEffort::High,
            ReasoningEffort::Medium
        ]
    );
}
