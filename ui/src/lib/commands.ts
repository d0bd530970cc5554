// Every user command of the UI, in one table: its label, its keys, the context it lives in,
// when it applies, and what it does. The key handler, the `?` overlay and the buttons of the
// decision bar are all built from this table; no shortcut is defined anywhere else.
import type { Task } from "./api/generated/Task";
import { directionOf, type Direction } from "./analysis/navigate";

/** Where keys go: the main screen, or one of the modal pickers and dialogs on top of it. */
export type Context = "main" | "tags" | "note" | "help" | "report" | "import" | "queue" | "export" | "agreement" | "merge";

/** What commands can see and do: implemented by the app state (and by fakes in tests). */
export interface CommandTarget {
  /** The open sample's task, if one is open. */
  task(): Task | null;
  /** The evaluator verdict on screen, if any. */
  evaluatorVerdict(): string | null;
  /** The digits typed so far (a step number or rating). */
  typed(): string;
  canUndo(): boolean;
  canRedo(): boolean;
  wrongReason(): boolean;
  tagCount(): number;

  typeDigit(d: string): void;
  clearTyped(): void;
  accept(): void;
  /** Decide for this canonical verdict (accept when it is the evaluator's, else correct). */
  decide(verdict: string): void;
  setWrongReason(on: boolean): void;
  toggleTagAt(n: number): void;
  undo(): void;
  redo(): void;
  clear(): void;
  move(delta: number): void;
  nextUnreviewed(): void;
  focusSearch(): void;
  toggleRaw(): void;
  togglePrompt(): void;
  toggleTheme(): void;
  open(what: "help" | "tags" | "note" | "report" | "import" | "queue" | "export" | "agreement" | "merge" | null): void;
  /** The analysis view: the next (1) or previous (-1) group. */
  stepGroup(delta: number): void;
  /** The analysis view: focus the nearest chart cell that way. */
  moveCell(direction: Direction): void;
  /** The analysis view: open the samples of the focused cell. */
  openFocusedCell(): void;
  /** The analysis view: charts against the ground truth or against human labels. */
  toggleReference(): void;
  saveNote(): void;
  /** Whether another project can be opened here (the desktop app; not a served project). */
  canSwitchProject(): boolean;
  /** Back to the start screen: recent projects, open, new, demo. */
  switchProject(): void;
  /** A model job is running. */
  jobRunning(): boolean;
  toggleModels(): void;
  judgeSample(): void;
  judgeFilter(): void;
  cancelJob(): void;
  /** How many samples are picked (with `s`) for judging together. */
  pickedCount(): number;
  togglePicked(): void;
  clearPicked(): void;
  judgePicked(): void;
}

export interface Command {
  id: string;
  label: string;
  /** Normalised keys (see `keyOf`): "a", "A", "Enter", "ctrl+z", "ctrl+shift+z", "space", "?". */
  keys: string[];
  context: Context;
  /** Shown in the decision bar as a button. */
  button?: boolean;
  /** Also fires while typing in a text field. */
  inFields?: boolean;
  /** Whether it applies now (default: always). */
  when?: (t: CommandTarget) => boolean;
  run: (t: CommandTarget, key: string) => void;
  group: "Decide" | "Navigate" | "View" | "Analysis" | "Tags" | "Note" | "Project" | "Data" | "Queue" | "Model";
}

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const isTask = (...tasks: Task[]) => (t: CommandTarget) => {
  const task = t.task();
  return task !== null && tasks.includes(task);
};
const isVerification = isTask("reference-free", "reference-based");

export const COMMANDS: Command[] = [
  // Deciding
  {
    id: "decide.accept",
    label: "Accept the evaluator's verdict",
    keys: ["a"],
    context: "main",
    button: true,
    group: "Decide",
    when: (t) => t.evaluatorVerdict() !== null,
    run: (t) => t.accept(),
  },
  {
    id: "decide.enter",
    label: "Decide the typed step or rating; with nothing typed, accept",
    keys: ["Enter"],
    context: "main",
    group: "Decide",
    when: (t) => t.task() !== null,
    run: (t) => {
      const typed = t.typed();
      if (typed === "") t.accept();
      else t.decide(typed);
      t.clearTyped();
    },
  },
  {
    id: "decide.digit",
    label: "Type a step number (step-level) or a rating",
    keys: DIGITS,
    context: "main",
    group: "Decide",
    when: isTask("step-level", "rating"),
    run: (t, key) => t.typeDigit(key),
  },
  {
    id: "decide.no-error",
    label: "No error in any step (-1)",
    keys: ["n", "-"],
    context: "main",
    button: true,
    group: "Decide",
    when: isTask("step-level"),
    run: (t) => t.decide("-1"),
  },
  { id: "decide.a", label: "Response A is better", keys: ["A"], context: "main", button: true, group: "Decide", when: isTask("pairwise"), run: (t) => t.decide("A") },
  { id: "decide.b", label: "Response B is better", keys: ["B"], context: "main", button: true, group: "Decide", when: isTask("pairwise"), run: (t) => t.decide("B") },
  { id: "decide.correct", label: "The response is correct", keys: ["c"], context: "main", button: true, group: "Decide", when: isVerification, run: (t) => t.decide("correct") },
  { id: "decide.incorrect", label: "The response is incorrect", keys: ["i"], context: "main", button: true, group: "Decide", when: isVerification, run: (t) => t.decide("incorrect") },
  {
    id: "decide.wrong-reason",
    label: "Right verdict, wrong reason (toggle)",
    keys: ["w"],
    context: "main",
    button: true,
    group: "Decide",
    when: (t) => t.task() !== null,
    run: (t) => t.setWrongReason(!t.wrongReason()),
  },
  { id: "decide.undo", label: "Undo", keys: ["u", "ctrl+z"], context: "main", button: true, group: "Decide", when: (t) => t.canUndo(), run: (t) => t.undo() },
  { id: "decide.redo", label: "Redo", keys: ["U", "ctrl+shift+z", "ctrl+y"], context: "main", button: true, group: "Decide", when: (t) => t.canRedo(), run: (t) => t.redo() },
  { id: "decide.clear", label: "Back to unreviewed", keys: ["x"], context: "main", group: "Decide", when: (t) => t.task() !== null, run: (t) => t.clear() },
  // Tags and note
  { id: "tags.open", label: "Tags…", keys: ["t"], context: "main", button: true, group: "Tags", when: (t) => t.task() !== null && t.tagCount() > 0, run: (t) => t.open("tags") },
  {
    id: "tags.toggle",
    label: "Toggle the tag with this number (0 is the tenth)",
    keys: DIGITS,
    context: "tags",
    group: "Tags",
    run: (t, key) => t.toggleTagAt(key === "0" ? 10 : Number(key)),
  },
  { id: "tags.close", label: "Close the tag picker", keys: ["Escape", "t", "Enter"], context: "tags", group: "Tags", run: (t) => t.open(null) },
  { id: "note.open", label: "Note…", keys: ["e"], context: "main", button: true, group: "Note", when: (t) => t.task() !== null, run: (t) => t.open("note") },
  { id: "note.save", label: "Save the note", keys: ["ctrl+Enter"], context: "note", inFields: true, group: "Note", run: (t) => t.saveNote() },
  { id: "note.cancel", label: "Close without saving", keys: ["Escape"], context: "note", inFields: true, group: "Note", run: (t) => t.open(null) },
  // Navigating
  { id: "nav.next", label: "Next sample", keys: ["j", "ArrowDown"], context: "main", group: "Navigate", run: (t) => t.move(1) },
  { id: "nav.previous", label: "Previous sample", keys: ["k", "ArrowUp"], context: "main", group: "Navigate", run: (t) => t.move(-1) },
  { id: "nav.next-unreviewed", label: "Next unreviewed sample", keys: ["J", "space"], context: "main", button: true, group: "Navigate", run: (t) => t.nextUnreviewed() },
  { id: "nav.search", label: "Search", keys: ["/"], context: "main", group: "Navigate", run: (t) => t.focusSearch() },
  {
    id: "nav.escape",
    label: "Leave the search box; forget typed digits",
    keys: ["Escape"],
    context: "main",
    inFields: true,
    group: "Navigate",
    run: (t) => {
      t.clearTyped();
      if (typeof document !== "undefined") (document.activeElement as HTMLElement | null)?.blur?.();
    },
  },
  // Viewing
  { id: "view.raw", label: "Raw evaluator output (toggle)", keys: ["r"], context: "main", button: true, group: "View", run: (t) => t.toggleRaw() },
  { id: "view.prompt", label: "The prompt the evaluator saw (toggle)", keys: ["p"], context: "main", button: true, group: "View", run: (t) => t.togglePrompt() },
  { id: "view.theme", label: "Theme: system, light, dark", keys: ["ctrl+shift+l"], context: "main", group: "View", run: (t) => t.toggleTheme() },
  { id: "view.help", label: "Keyboard shortcuts", keys: ["?"], context: "main", button: true, group: "View", run: (t) => t.open("help") },
  { id: "view.report", label: "Analysis…", keys: ["R"], context: "main", button: true, group: "View", run: (t) => t.open("report") },
  // The analysis view (`R`): its charts of the evaluator report
  { id: "report.close", label: "Close the analysis", keys: ["Escape", "R"], context: "report", group: "Analysis", run: (t) => t.open(null) },
  { id: "analysis.next-group", label: "Next group (task, data set, source)", keys: ["j"], context: "report", group: "Analysis", run: (t) => t.stepGroup(1) },
  { id: "analysis.previous-group", label: "Previous group", keys: ["k"], context: "report", group: "Analysis", run: (t) => t.stepGroup(-1) },
  {
    id: "analysis.move",
    label: "Move between chart cells",
    keys: ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"],
    context: "report",
    group: "Analysis",
    run: (t, key) => {
      const direction = directionOf(key);
      if (direction) t.moveCell(direction);
    },
  },
  { id: "analysis.reference", label: "Against ground truth / against human labels", keys: ["h"], context: "report", group: "Analysis", run: (t) => t.toggleReference() },
  { id: "analysis.open-cell", label: "Open the focused cell's samples in the queue", keys: ["Enter"], context: "report", group: "Analysis", run: (t) => t.openFocusedCell() },
  { id: "help.close", label: "Close this list", keys: ["Escape", "?"], context: "help", group: "View", run: (t) => t.open(null) },
  // Queues
  { id: "queue.make", label: "Make a review queue…", keys: ["Q"], context: "main", button: true, group: "Queue", run: (t) => t.open("queue") },
  { id: "queue.close", label: "Close the queue dialog", keys: ["Escape"], context: "queue", inFields: true, group: "Queue", run: (t) => t.open(null) },
  // The project (desktop app only)
  { id: "project.switch", label: "Projects…", keys: ["ctrl+o"], context: "main", group: "Project", when: (t) => t.canSwitchProject(), run: (t) => t.switchProject() },
  // Data
  { id: "import.open", label: "Import data…", keys: ["I"], context: "main", group: "Data", run: (t) => t.open("import") },
  { id: "import.close", label: "Close the import dialog", keys: ["Escape"], context: "import", inFields: true, group: "Data", run: (t) => t.open(null) },
  { id: "export.open", label: "Export…", keys: ["E"], context: "main", group: "Data", run: (t) => t.open("export") },
  { id: "export.close", label: "Close the export dialog", keys: ["Escape"], context: "export", inFields: true, group: "Data", run: (t) => t.open(null) },
  { id: "agreement.open", label: "Agreement and adjudication…", keys: ["G"], context: "main", group: "Data", run: (t) => t.open("agreement") },
  { id: "agreement.close", label: "Close the agreement view", keys: ["Escape"], context: "agreement", inFields: true, group: "Data", run: (t) => t.open(null) },
  { id: "merge.open", label: "Merge project files…", keys: [], context: "main", group: "Data", run: (t) => t.open("merge") },
  { id: "merge.close", label: "Close the merge dialog", keys: ["Escape"], context: "merge", inFields: true, group: "Data", run: (t) => t.open(null) },
  // The model
  { id: "model.panel", label: "Model panel (toggle)", keys: ["m"], context: "main", group: "Model", run: (t) => t.toggleModels() },
  {
    id: "model.judge-sample",
    label: "Judge the open sample with the loaded model",
    keys: ["M"],
    context: "main",
    group: "Model",
    when: (t) => t.task() !== null && !t.jobRunning(),
    run: (t) => t.judgeSample(),
  },
  {
    id: "model.judge-filter",
    label: "Judge every sample the filters match",
    keys: [],
    context: "main",
    group: "Model",
    when: (t) => !t.jobRunning(),
    run: (t) => t.judgeFilter(),
  },
  {
    id: "model.judge-selection",
    label: "Judge the samples picked with s",
    keys: [],
    context: "main",
    group: "Model",
    when: (t) => !t.jobRunning() && t.pickedCount() > 0,
    run: (t) => t.judgePicked(),
  },
  { id: "pick.toggle", label: "Pick the open sample for judging (toggle)", keys: ["s"], context: "main", group: "Model", when: (t) => t.task() !== null, run: (t) => t.togglePicked() },
  { id: "pick.clear", label: "Drop every picked sample", keys: ["S"], context: "main", group: "Model", when: (t) => t.pickedCount() > 0, run: (t) => t.clearPicked() },
  { id: "model.cancel", label: "Cancel the running job", keys: ["C"], context: "main", group: "Model", when: (t) => t.jobRunning(), run: (t) => t.cancelJob() },
];

/** A key event in the table's words: "a", "A", "ctrl+z", "ctrl+shift+z", "space", "Enter". */
export function keyOf(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): string {
  let key = e.key === " " ? "space" : e.key;
  const mods: string[] = [];
  if (e.ctrlKey || e.metaKey) mods.push("ctrl");
  if (e.altKey) mods.push("alt");
  // Shift is part of printable keys already ("A", "?"); name it only with ctrl/alt or named keys.
  if (e.shiftKey && (mods.length > 0 || key.length > 1) && key !== "space") mods.push("shift");
  if (mods.length > 0 && key.length === 1) key = key.toLowerCase();
  return [...mods, key].join("+");
}

/** The command a key runs in a context, if one applies now. */
export function commandFor(key: string, context: Context, target: CommandTarget, inField: boolean): Command | null {
  for (const c of COMMANDS) {
    if (c.context !== context || !c.keys.includes(key)) continue;
    if (inField && !c.inFields) continue;
    if (c.when && !c.when(target)) continue;
    return c;
  }
  return null;
}

/** Keys bound twice in one context (must be empty: a test checks it). */
export function duplicateKeys(commands: Command[] = COMMANDS): string[] {
  const seen = new Map<string, string>();
  const dupes: string[] = [];
  for (const c of commands) {
    for (const k of c.keys) {
      const slot = `${c.context}:${k}`;
      const other = seen.get(slot);
      if (other !== undefined) dupes.push(`${slot} (${other}, ${c.id})`);
      else seen.set(slot, c.id);
    }
  }
  return dupes;
}

/** How a key is written in the overlay. */
export function keyLabel(key: string): string {
  return key
    .split("+")
    .map((part) => ({ ctrl: "Ctrl", shift: "Shift", alt: "Alt", space: "Space", ArrowDown: "↓", ArrowUp: "↑", ArrowLeft: "←", ArrowRight: "→", Escape: "Esc" })[part] ?? part)
    .join("+");
}

/** The `?` overlay: every command, grouped, with its keys. */
export function helpSections(commands: Command[] = COMMANDS): { group: string; rows: { id: string; label: string; keys: string[] }[] }[] {
  const groups = new Map<string, { id: string; label: string; keys: string[] }[]>();
  for (const c of commands) {
    const rows = groups.get(c.group) ?? [];
    rows.push({ id: c.id, label: c.label, keys: c.keys.map(keyLabel) });
    groups.set(c.group, rows);
  }
  return [...groups].map(([group, rows]) => ({ group, rows }));
}

/**
 * The menu bar: the main screen's commands by group, in the table's order (a command whose
 * keys only work in a picker, like the tag picker's, is not a menu item). Same table, same
 * labels and keys as the `?` overlay.
 */
export function menus(commands: Command[] = COMMANDS): { group: string; items: Command[] }[] {
  const groups = new Map<string, Command[]>();
  for (const c of commands) {
    if (c.context !== "main" || c.id === "nav.escape") continue;
    const items = groups.get(c.group) ?? [];
    items.push(c);
    groups.set(c.group, items);
  }
  return [...groups].map(([group, items]) => ({ group, items }));
}
