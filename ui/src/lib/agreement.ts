// Pure: the agreement view's words and figures (kappa, alpha and what each is over) and the
// adjudication queue's choices. Component: components/AgreementView.svelte.
import type { AgreementGroup } from "./api/generated/AgreementGroup";
import type { Disagreement } from "./api/generated/Disagreement";
import type { PairAgreement } from "./api/generated/PairAgreement";

/** A figure to three decimals, or a dash when undefined. */
export function figure(x: number | null): string {
  return x === null ? "–" : x.toFixed(3);
}

/** "step-level" or "step-level / ProcessBench". */
export function groupName(g: AgreementGroup): string {
  return g.dataset_id === null ? g.task : `${g.task} / ${g.dataset ?? `data set ${g.dataset_id}`}`;
}

/** Alpha with its level and what it is over. */
export function alphaText(g: AgreementGroup): string {
  const a = g.agreement;
  return `${figure(a.alpha)} (${a.level}, over ${a.compared.toLocaleString()} ${a.compared === 1 ? "sample" : "samples"})`;
}

/** A pair's kappa and what it is over. */
export function pairText(p: PairAgreement): string {
  return `${p.first} / ${p.second}: κ ${figure(p.kappa)} over ${p.items.toLocaleString()} (${p.agreed.toLocaleString()} agreed)`;
}

/** Each annotator's verdict, in one line. */
export function verdictsText(d: Disagreement): string {
  return d.verdicts.map((v) => `${v.annotator} ${v.verdict}`).join(" · ");
}

/** How many annotators gave each verdict the sample admits (verdicts nobody gave: 0). */
export function tally(d: Disagreement): { verdict: string; annotators: string[] }[] {
  const order = [...d.admissible];
  for (const v of d.verdicts) if (!order.includes(v.verdict)) order.push(v.verdict);
  return order.map((verdict) => ({ verdict, annotators: d.verdicts.filter((v) => v.verdict === verdict).map((v) => v.annotator) }));
}
