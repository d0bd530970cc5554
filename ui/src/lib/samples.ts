// A sample's view by task: the generated SampleDetail is a union tagged by `task`, so a view
// of one task can only ask for what that task has (a pair has responses A and B, a step-level
// sample its steps). These names pick the members out.
import type { SampleDetail } from "./api/generated/SampleDetail";
import type { StepView } from "./api/generated/StepView";

/** A sample of the task (or tasks) `T`, with that task's own fields. */
export type SampleOf<T extends SampleDetail["task"]> = Extract<SampleDetail, { task: T }>;
/** A step-level sample: its steps. */
export type StepSample = SampleOf<"step-level">;
/** A pair: responses A and B. */
export type PairSample = SampleOf<"pairwise">;
/** One response to verify or rate, with a reference or rubric where the task has one. */
export type ResponseSample = SampleOf<"reference-free" | "reference-based" | "rating">;

/** The steps of a step-level sample; none for the other tasks. */
export function stepsOf(detail: SampleDetail): StepView[] {
  return detail.task === "step-level" ? detail.steps : [];
}

/** The texts shown under the problem, titled, in order: the steps, the two responses, or the response with its reference answer and rubric. */
export function contentTexts(detail: SampleDetail): { title: string; text: string }[] {
  switch (detail.task) {
    case "step-level":
      return detail.steps.map((s) => ({ title: `Step ${s.index}`, text: s.text }));
    case "pairwise":
      return [
        { title: "Response A", text: detail.response_a },
        { title: "Response B", text: detail.response_b },
      ];
    case "reference-free":
      return [{ title: "Response", text: detail.response }];
    case "reference-based":
      return [
        { title: "Response", text: detail.response },
        { title: "Reference answer", text: detail.reference },
      ];
    case "rating":
      return [
        { title: "Response", text: detail.response },
        ...(detail.reference === null ? [] : [{ title: "Reference answer", text: detail.reference }]),
        ...(detail.rubric === null ? [] : [{ title: "Rubric", text: detail.rubric }]),
      ];
  }
}
