// The state of one session: the project overview, the queue's filters, page window and counts,
// the open sample and its label, overlays and toasts, and the model panel (model.svelte.ts). It
// implements `CommandTarget`, so the command table (commands.ts) drives everything through it;
// components read it and call it.
import { ApiFailure, type ApiClient } from "./api/client";
import type { Decision } from "./api/generated/Decision";
import type { EvaluatorFilter } from "./api/generated/EvaluatorFilter";
import type { ImportDone } from "./api/generated/ImportDone";
import type { ProjectOverview } from "./api/generated/ProjectOverview";
import type { PromptView } from "./api/generated/PromptView";
import type { QueueCounts } from "./api/generated/QueueCounts";
import type { QueueView } from "./api/generated/QueueView";
import type { ReviewOrder } from "./api/generated/ReviewOrder";
import type { Analysis as Report } from "./api/generated/Analysis";
import type { ReviewFilter } from "./api/generated/ReviewFilter";
import type { SampleDetail } from "./api/generated/SampleDetail";
import type { SampleQuery } from "./api/generated/SampleQuery";
import type { Task } from "./api/generated/Task";
import type { CommandTarget } from "./commands";
import { DetailCache, Prerenderer, afterNextPaint, textsOf } from "./prefetch";
import { ModelPanel } from "./model.svelte";
import { evaluatorVerdict, primaryJudgment } from "./verdicts";
import { PageWindow } from "./virtual";
import { groupId, type ReferenceView, type Scope } from "./analysis/charts";
import { cellFrom, queueName, samplesRequest, type OpenedCell } from "./analysis/cells";
import { diffQueueName, diffSamplesRequest } from "./analysis/diff";
import type { RunDiff } from "./api/generated/RunDiff";
import type { Direction } from "./analysis/navigate";
import { downloadFile, type SaveFile } from "./analysis/save";

export interface Filters {
  task?: Task;
  dataset_id?: number;
  source?: string;
  review?: ReviewFilter;
  evaluator?: EvaluatorFilter;
  tag?: string;
  text?: string;
  run_id?: number;
  /** A saved queue: only its samples, in its order. */
  queue?: number;
}

export type Theme = "system" | "light" | "dark";

/** What the desktop app adds: its start screen and its native file dialog. */
export interface DesktopHooks {
  /** Back to the start screen (recent projects, open, new, demo). */
  switchProject(): void;
  /** The native dialog to choose a data file; null when cancelled. */
  chooseDataFile(): Promise<string | null>;
  /** The native save dialog for an export, suggesting `name`; null when cancelled. */
  chooseExportFile(name: string): Promise<string | null>;
  /** The native dialog to choose project files to merge; empty when cancelled. */
  chooseProjectFiles(): Promise<string[]>;
  /** The native save dialog naming a new project file (a merge's output); null when cancelled. */
  chooseNewProject(): Promise<string | null>;
  /** The native save dialog, then the bytes written there; the path, or null when cancelled. */
  saveFile(name: string, bytes: Uint8Array): Promise<string | null>;
}

/** What the analysis view on screen does for the arrow keys and Enter (it knows where its cells are). */
export interface CellNavigator {
  move(direction: Direction): void;
  open(): void;
}

export interface Toast {
  id: number;
  text: string;
  kind: "error" | "info";
}

// The API's largest page: fewer requests while scrolling, and a near page is reached by walking.
const PAGE_SIZE = 500;

export class AppState implements CommandTarget {
  overview = $state<ProjectOverview | null>(null);
  filters = $state<Filters>({});
  /** The saved review queues, newest first. */
  queues = $state<QueueView[]>([]);
  counts = $state<QueueCounts | null>(null);
  /** Bumped when the page window changes (the list redraws on it). */
  listVersion = $state(0);
  /** Bumped when the list becomes another list (new filters, a queue, an import): it scrolls to its top. */
  listGeneration = $state(0);
  window: PageWindow;
  selectedIndex = $state(-1);
  detail = $state<SampleDetail | null>(null);
  loadingDetail = $state(false);
  showRaw = $state(false);
  /** The prompt behind the judgment on screen, while shown. */
  prompt = $state<PromptView | null>(null);
  overlay = $state<"help" | "tags" | "note" | "report" | "import" | "queue" | "export" | "agreement" | "merge" | null>(null);
  /** The evaluator report behind the analysis view (`R`), while it is open. */
  report = $state<Report | null>(null);
  /** The analysis view's group (`groupId`), kept while the app runs. */
  analysisGroup = $state<string | null>(null);
  /** Set by the analysis view while it is on screen. */
  cellNavigator: CellNavigator | null = null;
  noteDraft = $state("");
  typedDigits = $state("");
  theme = $state<Theme>("system");
  toasts = $state<Toast[]>([]);
  /** Samples picked with `s` to be judged together (in the order picked). */
  picked = $state<number[]>([]);
  /** A judgment the user picked on screen (else the shown run's primary). */
  pickedJudgment = $state<number | null>(null);
  searchInput: HTMLInputElement | null = null;
  /** The model panel: models, the worker, the job in progress. */
  readonly model: ModelPanel;

  private detailRequest = 0;
  private prerenderer = new Prerenderer();
  /** The queue's neighbours of the open sample, fetched and rendered ahead (prefetch.ts). */
  readonly details = new DetailCache(
    (id, run) => this.client.sample(id, run),
    6,
    (detail) => this.prerenderer.add(textsOf(detail)),
  );
  private toastId = 0;
  private countsTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param client the application API.
   * @param desktop what only the desktop app can do (absent when served: `fare-lens serve`
   *   shows one project and has no native dialogs).
   */
  constructor(
    readonly client: ApiClient,
    readonly desktop: DesktopHooks | null = null,
  ) {
    this.window = this.newWindow();
    this.model = new ModelPanel(client, {
      judged: (ids) => {
        // Samples fetched ahead before their judgment was stored are stale now.
        for (const id of ids) this.details.invalidate(id);
        if (this.detail && ids.includes(this.detail.id)) void this.refreshDetail();
      },
      jobEnded: () => void this.afterJob(),
      fail: (e) => this.fail(e),
      info: (text) => this.info(text),
    });
    if (typeof localStorage !== "undefined") {
      const saved = localStorage.getItem("fare-lens-theme");
      if (saved === "light" || saved === "dark") this.theme = saved;
    }
    this.applyTheme();
  }

  async start(): Promise<void> {
    try {
      this.overview = await this.client.overview();
      this.queues = await this.client.queues();
    } catch (e) {
      this.fail(e);
    }
    await this.reload();
    // A job may be running from before a reload of the page.
    await this.model.resume();
  }

  // ---- queue ----

  query(after = 0, limit = PAGE_SIZE): SampleQuery {
    const f = this.filters;
    const q: SampleQuery = { after, limit };
    if (f.task) q.task = f.task;
    if (f.dataset_id !== undefined) q.dataset_id = f.dataset_id;
    if (f.source) q.source = f.source;
    if (f.review) q.review = f.review;
    if (f.evaluator) q.evaluator = f.evaluator;
    if (f.tag) q.tag = f.tag;
    if (f.text && f.text.trim() !== "") q.text = f.text.trim();
    if (f.run_id !== undefined) q.run_id = f.run_id;
    if (f.queue !== undefined) q.queue = f.queue;
    return q;
  }

  private newWindow(): PageWindow {
    return new PageWindow(
      (after, limit) => this.client.samples(this.query(after, limit)),
      PAGE_SIZE,
      8,
      () => this.listVersion++,
      // A far jump asks for the row before the page instead of walking to it.
      async (position) => (await this.client.position(this.query(), position)).cursor,
    );
  }

  /** Total rows the list shows (the count when known). */
  total(): number {
    void this.listVersion;
    const known = this.window.lastPage !== null ? this.window.knownLength() : null;
    return known ?? this.counts?.matching ?? this.window.knownLength();
  }

  setFilters(change: Partial<Filters>): void {
    this.filters = { ...this.filters, ...change };
    void this.reload();
  }

  async reload(): Promise<void> {
    this.details.clear();
    this.window = this.newWindow();
    this.listVersion++;
    this.listGeneration++;
    this.selectedIndex = -1;
    this.refreshCounts(0);
    try {
      await this.window.ensure(0, 50);
      if (this.window.row(0) && (this.detail === null || this.window.indexOfId(this.detail.id) === null)) {
        await this.select(0);
      } else if (this.detail) {
        this.selectedIndex = this.window.indexOfId(this.detail.id) ?? -1;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  refreshCounts(delayMs = 400): void {
    if (this.countsTimer) clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(async () => {
      try {
        this.counts = await this.client.counts(this.query());
      } catch (e) {
        this.fail(e);
      }
    }, delayMs);
  }

  async ensureRows(start: number, end: number): Promise<void> {
    try {
      await this.window.ensure(start, end);
    } catch (e) {
      this.fail(e);
    }
  }

  async select(index: number): Promise<void> {
    if (index < 0) return;
    await this.ensureRows(index, index + 1);
    const row = this.window.row(index);
    if (!row) return;
    const direction = index >= this.selectedIndex ? 1 : -1;
    this.selectedIndex = index;
    await this.openSample(row.id);
    if (this.selectedIndex === index) this.prefetchAround(index, direction);
  }

  async openSample(id: number): Promise<void> {
    const request = ++this.detailRequest;
    const run = this.filters.run_id;
    this.loadingDetail = true;
    // Fetched ahead: no request. The queue's selection is painted first (the key's own frame
    // stays fast), the sample in a frame of its own; a later key press supersedes it unrendered.
    const ready = this.details.takeReady(id, run);
    if (ready) {
      await afterNextPaint();
      if (request !== this.detailRequest) return;
      this.show(ready);
      this.loadingDetail = false;
      return;
    }
    try {
      const detail = await this.details.take(id, run);
      if (request !== this.detailRequest) return;
      this.show(detail);
    } catch (e) {
      if (request === this.detailRequest) this.fail(e);
    } finally {
      if (request === this.detailRequest) this.loadingDetail = false;
    }
  }

  private show(detail: SampleDetail): void {
    this.detail = detail;
    this.prompt = null;
    this.pickedJudgment = null;
    this.typedDigits = "";
  }

  /**
   * Fetches the samples next to `index` in the queue (two ahead in the direction of travel, one
   * behind) that are in the loaded pages, and renders their texts while idle.
   */
  prefetchAround(index: number, direction: 1 | -1): void {
    for (const i of [index + direction, index + 2 * direction, index - direction]) {
      const row = i >= 0 ? this.window.row(i) : null;
      if (row) this.details.prefetch(row.id, this.filters.run_id);
    }
  }

  /** Reads the open sample again (new judgments), keeping what the person picked and typed. */
  async refreshDetail(): Promise<void> {
    const open = this.detail;
    if (!open) return;
    const request = ++this.detailRequest;
    try {
      const detail = await this.client.sample(open.id, this.filters.run_id);
      if (request !== this.detailRequest || this.detail?.id !== open.id) return;
      this.detail = detail;
    } catch (e) {
      if (request === this.detailRequest) this.fail(e);
    }
  }

  /** After a job: its run is in the overview, its verdicts in the list and the counts. */
  private async afterJob(): Promise<void> {
    try {
      this.overview = await this.client.overview();
    } catch (e) {
      this.fail(e);
    }
    await this.reload();
    await this.refreshDetail();
  }

  // ---- decisions ----

  judgmentOnScreen() {
    const d = this.detail;
    if (!d) return null;
    if (this.pickedJudgment !== null) {
      const picked = d.judgments.find((j) => j.id === this.pickedJudgment);
      if (picked) return picked;
    }
    return primaryJudgment(d);
  }

  async send(decision: Decision): Promise<void> {
    const d = this.detail;
    if (!d) return;
    const judgment = this.judgmentOnScreen();
    // A detail fetched ahead before or while the decision is made holds the old label.
    this.details.invalidate(d.id);
    try {
      const label = await this.client.decide({
        sample_id: d.id,
        ...(judgment ? { judgment_id: judgment.id } : {}),
        decision,
      });
      // The user may have moved on: the label belongs to the sample it was made for.
      this.details.invalidate(d.id);
      if (this.detail && this.detail.id === d.id) this.detail.label = label;
      this.window.patch(d.id, { decision: label.decision === "unreviewed" ? null : label.decision });
      this.refreshCounts();
    } catch (e) {
      this.details.invalidate(d.id);
      this.fail(e);
    }
  }

  // ---- CommandTarget ----

  task(): Task | null {
    return this.detail?.task ?? null;
  }
  evaluatorVerdict(): string | null {
    return this.detail ? evaluatorVerdict(this.detail, this.judgmentOnScreen()) : null;
  }
  typed(): string {
    return this.typedDigits;
  }
  canUndo(): boolean {
    return this.detail?.label.can_undo ?? false;
  }
  canRedo(): boolean {
    return this.detail?.label.can_redo ?? false;
  }
  wrongReason(): boolean {
    return this.detail?.label.wrong_reason ?? false;
  }
  tagCount(): number {
    return this.overview?.tags.length ?? 0;
  }
  typeDigit(d: string): void {
    this.typedDigits = (this.typedDigits + d).slice(-4);
  }
  clearTyped(): void {
    this.typedDigits = "";
  }
  accept(): void {
    const verdict = this.evaluatorVerdict();
    if (verdict === null) {
      this.info("There is no evaluator verdict to accept.");
      return;
    }
    void this.send({ action: "accept", verdict });
  }
  decide(verdict: string): void {
    const d = this.detail;
    if (!d) return;
    if (!d.admissible.includes(verdict)) {
      this.info(`${verdict} is not a verdict this sample admits (${d.admissible.join(", ")}).`);
      return;
    }
    const evaluator = this.evaluatorVerdict();
    void this.send(evaluator === verdict ? { action: "accept", verdict } : { action: "correct", verdict });
  }
  setWrongReason(on: boolean): void {
    void this.send({ action: "wrong-reason", on });
  }
  toggleTagAt(n: number): void {
    const tag = this.overview?.tags[n - 1];
    if (!tag || !this.detail) return;
    void this.send({ action: "tag", tag: tag.id, on: !this.detail.label.tags.includes(tag.id) });
  }
  undo(): void {
    void this.send({ action: "undo" });
  }
  redo(): void {
    void this.send({ action: "redo" });
  }
  clear(): void {
    void this.send({ action: "clear" });
  }
  move(delta: number): void {
    const target = this.selectedIndex < 0 ? 0 : this.selectedIndex + delta;
    if (target < 0 || target >= this.total()) return;
    void this.select(target);
  }
  async nextUnreviewed(): Promise<void> {
    try {
      // Where the list continues after the open sample: its id, but in a saved queue its rank.
      const after =
        this.filters.queue === undefined
          ? (this.detail?.id ?? 0)
          : this.selectedIndex < 0
            ? 0
            : ((await this.client.position(this.query(), this.selectedIndex)).cursor ?? 0);
      const page = await this.client.samples({ ...this.query(after, 1), review: "unreviewed" });
      const next = page.rows[0];
      if (!next) {
        this.info("No unreviewed sample after this one.");
        return;
      }
      // Walk the list forward to find its place (pages load as needed), then open it.
      let index = this.window.indexOfId(next.id);
      let from = Math.max(0, this.selectedIndex);
      while (index === null && from < this.total()) {
        await this.window.ensure(from, from + PAGE_SIZE);
        index = this.window.indexOfId(next.id);
        from += PAGE_SIZE;
      }
      if (index !== null) await this.select(index);
      else await this.openSample(next.id);
    } catch (e) {
      this.fail(e);
    }
  }
  focusSearch(): void {
    this.searchInput?.focus();
    this.searchInput?.select();
  }
  toggleRaw(): void {
    this.showRaw = !this.showRaw;
  }
  async togglePrompt(): Promise<void> {
    if (this.prompt !== null || this.detail === null) {
      this.prompt = null;
      return;
    }
    const sample = this.detail.id;
    try {
      const prompt = await this.client.prompt(sample, this.judgmentOnScreen()?.id);
      // A late answer must not land on the next sample.
      if (this.detail?.id === sample) this.prompt = prompt;
    } catch (e) {
      this.fail(e);
    }
  }
  canSwitchProject(): boolean {
    return this.desktop !== null;
  }

  switchProject(): void {
    this.desktop?.switchProject();
  }

  toggleTheme(): void {
    this.theme = this.theme === "system" ? "light" : this.theme === "light" ? "dark" : "system";
    if (typeof localStorage !== "undefined") localStorage.setItem("fare-lens-theme", this.theme);
    this.applyTheme();
  }
  open(what: "help" | "tags" | "note" | "report" | "import" | "queue" | "export" | "agreement" | "merge" | null): void {
    if (what === "note") this.noteDraft = this.detail?.label.note ?? "";
    if (what === "report") {
      this.report = null;
      this.client.analysis({ run: this.filters.run_id }).then(
        (r) => {
          this.report = r;
          this.pickDefaultGroup(r);
        },
        (e) => {
          this.fail(e);
          this.overlay = null;
        },
      );
    }
    this.overlay = what;
  }
  // ---- saved queues ----

  /**
   * Saves the samples the filters match (or `ids`, e.g. a chart cell's) as a queue in `order`
   * and shows it (the filters stay: they matched every sample of it). Answers whether it was made.
   */
  async makeQueue(
    order: ReviewOrder,
    options: { name?: string; seed?: number; ids?: number[]; from?: string; filters?: Filters } = {},
  ): Promise<boolean> {
    const samples =
      options.ids !== undefined
        ? { kind: "samples" as const, ids: options.ids, from: options.from, run_id: this.filters.run_id }
        : { kind: "filter" as const, query: this.query() };
    try {
      const queue = await this.client.createQueue({ name: options.name, samples, order, seed: options.seed });
      this.queues = [queue, ...this.queues.filter((q) => q.id !== queue.id)];
      this.overlay = null;
      // The new queue is shown under the filters asked for (a chart cell's: none), else the current ones.
      this.filters = { ...(options.filters ?? this.filters), queue: queue.id };
      this.info(`Queue “${queue.name}”: ${queue.samples} samples.`);
      await this.reload();
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }
  /** Shows a saved queue (null: every sample); other filters stay and narrow it. */
  showQueue(id: number | null): void {
    this.setFilters({ queue: id ?? undefined });
  }
  /** Deletes a saved queue; if it was shown, every sample shows again. */
  async deleteQueue(id: number): Promise<void> {
    try {
      this.queues = await this.client.deleteQueue(id);
      if (this.filters.queue === id) this.setFilters({ queue: undefined });
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- the analysis view ----

  /** Keeps the group picked before; else the open sample's data set; else the first group. */
  private pickDefaultGroup(report: Report): void {
    const ids = report.groups.map(groupId);
    if (this.analysisGroup !== null && ids.includes(this.analysisGroup)) return;
    const d = this.detail;
    const own = d ? report.groups.find((g) => g.task === d.task && g.dataset === d.dataset && g.source === null) : undefined;
    this.analysisGroup = own ? groupId(own) : (ids[0] ?? null);
  }
  /** The next (1) or previous (-1) group of the report. */
  stepGroup(delta: number): void {
    const ids = this.report?.groups.map(groupId) ?? [];
    if (ids.length === 0) return;
    const at = this.analysisGroup === null ? -1 : ids.indexOf(this.analysisGroup);
    this.analysisGroup = ids[Math.min(ids.length - 1, Math.max(0, at + delta))];
  }
  moveCell(direction: Direction): void {
    this.cellNavigator?.move(direction);
  }
  openFocusedCell(): void {
    this.cellNavigator?.open();
  }
  /**
   * Opens exactly the samples behind a chart cell: the API lists them from the cell's key, the
   * group's scope (null: the whole project) and the reference it was counted against, and they
   * are saved as a `listed` queue named after the cell, shown with no other filter narrowing it.
   * The group's run is the one the analysis read for its task.
   */
  async openCell(cell: OpenedCell, scope: Scope | null, reference: ReferenceView = "gold"): Promise<boolean> {
    const run = scope ? (this.report?.runs[scope.task] ?? this.filters.run_id) : this.filters.run_id;
    let ids: number[];
    try {
      ids = await this.client.analysisSamples(samplesRequest(cell, scope, reference, run));
    } catch (e) {
      this.fail(e);
      return false;
    }
    if (ids.length === 0) {
      this.info(`No samples in ${cellFrom(cell)}.`);
      return false;
    }
    return this.makeQueue("listed", {
      ids,
      from: cellFrom(cell),
      name: queueName(cell, scope, reference),
      filters: { run_id: this.filters.run_id },
    });
  }
  /** Opens exactly the samples of a checkpoint-diff cell (a row's task and the cell's key) as a listed queue. */
  async openDiffCell(diff: RunDiff, task: Task, key: string, what: string): Promise<boolean> {
    let ids: number[];
    try {
      ids = await this.client.diffSamples(diffSamplesRequest(diff, task, key));
    } catch (e) {
      this.fail(e);
      return false;
    }
    const name = diffQueueName(diff, task, what);
    if (ids.length === 0) {
      this.info(`No samples in ${name}.`);
      return false;
    }
    return this.makeQueue("listed", {
      ids,
      from: `Run ${diff.before} → ${diff.after}: ${what}`,
      name,
      filters: { run_id: this.filters.run_id },
    });
  }
  /** Which reference the analysis view's charts are against (`h` switches). */
  analysisReference = $state<ReferenceView>("gold");
  toggleReference(): void {
    this.analysisReference = this.analysisReference === "gold" ? "human" : "gold";
  }
  /** Saves a chart's file: the native save dialog in the desktop app, a download in a browser. */
  async saveFile(name: string, mime: string, bytes: Uint8Array): Promise<void> {
    const save: SaveFile = this.desktop ? (n, _m, b) => this.desktop!.saveFile(n, b) : downloadFile;
    try {
      const where = await save(name, mime, bytes);
      if (where !== null) this.info(`Saved ${where}`);
    } catch (e) {
      this.fail(e);
    }
  }
  /** After an import: the overview (data sets, sample count) and the queue show the new samples. */
  async imported(done: ImportDone): Promise<void> {
    if (done.already_imported) return;
    try {
      this.overview = await this.client.overview();
    } catch (e) {
      this.fail(e);
    }
    await this.reload();
  }
  saveNote(): void {
    void this.send({ action: "note", text: this.noteDraft });
    this.overlay = null;
  }
  jobRunning(): boolean {
    return this.model.running();
  }
  toggleModels(): void {
    this.model.toggle();
  }
  judgeSample(): void {
    if (this.detail) void this.model.judge({ kind: "samples", ids: [this.detail.id] });
  }
  judgeFilter(): void {
    void this.model.judge({ kind: "filter", query: this.query(0, 0) });
  }
  cancelJob(): void {
    void this.model.cancel();
  }
  pickedCount(): number {
    return this.picked.length;
  }
  isPicked(id: number): boolean {
    return this.picked.includes(id);
  }
  togglePicked(): void {
    const id = this.detail?.id;
    if (id === undefined) return;
    this.picked = this.picked.includes(id) ? this.picked.filter((p) => p !== id) : [...this.picked, id];
  }
  clearPicked(): void {
    this.picked = [];
  }
  /** Judges the picked samples, in the order they were picked. */
  judgePicked(): void {
    if (this.picked.length > 0) void this.model.judge({ kind: "samples", ids: [...this.picked] });
  }

  // ---- messages ----

  private applyTheme(): void {
    if (typeof document === "undefined") return;
    if (this.theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.theme;
  }

  fail(e: unknown): void {
    const text = e instanceof ApiFailure || e instanceof Error ? e.message : String(e);
    this.push(text, "error");
  }
  info(text: string): void {
    this.push(text, "info");
  }
  private push(text: string, kind: Toast["kind"]): void {
    const id = ++this.toastId;
    this.toasts = [...this.toasts, { id, text, kind }].slice(-4);
    setTimeout(() => (this.toasts = this.toasts.filter((t) => t.id !== id)), kind === "error" ? 8000 : 3000);
  }
}
