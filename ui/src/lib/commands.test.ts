import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS, type CommandTarget, commandFor, duplicateKeys, helpSections, keyLabel, keyOf, menus } from "./commands";
import type { Task } from "./api/generated/Task";

function fakeTarget(task: Task | null, change: Partial<CommandTarget> = {}) {
  let typed = "";
  const calls: string[] = [];
  const record = (name: string) => (...args: unknown[]) => {
    calls.push(args.length ? `${name}(${args.map(String).join(",")})` : name);
  };
  const t: CommandTarget = {
    task: () => task,
    evaluatorVerdict: () => "2",
    typed: () => typed,
    canUndo: () => true,
    canRedo: () => false,
    wrongReason: () => false,
    tagCount: () => 3,
    typeDigit: (d) => {
      typed += d;
    },
    clearTyped: () => {
      typed = "";
    },
    accept: record("accept"),
    decide: record("decide"),
    setWrongReason: record("wrongReason"),
    toggleTagAt: record("tag"),
    undo: record("undo"),
    redo: record("redo"),
    clear: record("clear"),
    move: record("move"),
    nextUnreviewed: record("nextUnreviewed"),
    focusSearch: record("focusSearch"),
    toggleRaw: record("raw"),
    togglePrompt: record("prompt"),
    toggleTheme: record("theme"),
    open: record("open"),
    saveNote: record("saveNote"),
    canSwitchProject: () => false,
    switchProject: record("switchProject"),
    jobRunning: () => false,
    toggleModels: record("models"),
    judgeSample: record("judgeSample"),
    judgeFilter: record("judgeFilter"),
    cancelJob: record("cancelJob"),
    pickedCount: () => 0,
    togglePicked: record("togglePicked"),
    clearPicked: record("clearPicked"),
    judgePicked: record("judgePicked"),
    stepGroup: record("stepGroup"),
    moveCell: record("moveCell"),
    openFocusedCell: record("openFocusedCell"),
    toggleReference: record("toggleReference"),
    ...change,
  };
  const press = (key: string, context: "main" | "tags" | "note" | "help" | "import" | "report" | "queue" | "export" | "agreement" | "merge" = "main", inField = false) => {
    const c = commandFor(key, context, t, inField);
    c?.run(t, key);
    return c?.id ?? null;
  };
  return { t, calls, press };
}

describe("the command table", () => {
  it("binds no key twice in one context", () => {
    expect(duplicateKeys()).toEqual([]);
  });

  it("finds a duplicate when there is one", () => {
    const twice = [...COMMANDS, { ...COMMANDS[0], id: "copy" }];
    expect(duplicateKeys(twice).length).toBeGreaterThan(0);
  });

  it("has unique ids and a label for every command", () => {
    const ids = COMMANDS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(COMMANDS.every((c) => c.label.trim() !== "")).toBe(true);
  });

  it("the ? overlay lists every command and every key", () => {
    const rows = helpSections().flatMap((s) => s.rows);
    expect(rows.map((r) => r.id).sort()).toEqual(COMMANDS.map((c) => c.id).sort());
    for (const c of COMMANDS) {
      const row = rows.find((r) => r.id === c.id)!;
      expect(row.keys).toEqual(c.keys.map(keyLabel));
    }
  });

  it("no component or module binds keys outside the table", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(svelte|ts)$/.test(name) && !name.endsWith(".test.ts")) files.push(p);
      }
    };
    walk(join(__dirname, ".."));
    const offenders = files.filter((f) => {
      if (f.endsWith("App.svelte")) return false; // the one key handler, which asks the table
      const text = readFileSync(f, "utf8");
      return /onkeydown=\{(?!\(\) => \{\})|addEventListener\(["']key/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});

describe("keyOf", () => {
  const ev = (key: string, mods: Partial<KeyboardEvent> = {}) => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
  it("writes keys as the table does", () => {
    expect(keyOf(ev("a"))).toBe("a");
    expect(keyOf(ev("A", { shiftKey: true }))).toBe("A");
    expect(keyOf(ev("?", { shiftKey: true }))).toBe("?");
    expect(keyOf(ev(" "))).toBe("space");
    expect(keyOf(ev("z", { ctrlKey: true }))).toBe("ctrl+z");
    expect(keyOf(ev("Z", { ctrlKey: true, shiftKey: true }))).toBe("ctrl+shift+z");
    expect(keyOf(ev("Enter", { ctrlKey: true }))).toBe("ctrl+Enter");
    expect(keyOf(ev("z", { metaKey: true }))).toBe("ctrl+z");
  });
});

describe("keys run the right command for the sample's task", () => {
  it("step-level: digits then Enter correct to that step; Enter alone accepts", () => {
    const { calls, press } = fakeTarget("step-level");
    press("1");
    press("2");
    press("Enter");
    expect(calls).toEqual(["decide(12)"]);
    press("Enter");
    expect(calls).toEqual(["decide(12)", "accept"]);
  });

  it("step-level: n and - decide no error; A and c do nothing", () => {
    const { calls, press } = fakeTarget("step-level");
    press("n");
    press("-");
    expect(press("A")).toBeNull();
    expect(press("c")).toBeNull();
    expect(calls).toEqual(["decide(-1)", "decide(-1)"]);
  });

  it("pairwise: shift A / shift B pick a response; digits do nothing", () => {
    const { calls, press } = fakeTarget("pairwise");
    press("A");
    press("B");
    expect(press("3")).toBeNull();
    expect(calls).toEqual(["decide(A)", "decide(B)"]);
  });

  it("verification: c and i", () => {
    const { calls, press } = fakeTarget("reference-based");
    press("c");
    press("i");
    expect(calls).toEqual(["decide(correct)", "decide(incorrect)"]);
  });

  it("rating: digits then Enter", () => {
    const { calls, press } = fakeTarget("rating");
    press("7");
    press("Enter");
    expect(calls).toEqual(["decide(7)"]);
  });

  it("the analysis view: j/k switch groups, arrows move between cells, Enter opens one, h switches the reference, Escape and R close", () => {
    const { calls, press } = fakeTarget("step-level");
    for (const k of ["j", "k", "ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp", "Enter", "h", "Escape", "R"]) press(k, "report");
    expect(calls).toEqual(["stepGroup(1)", "stepGroup(-1)", "moveCell(right)", "moveCell(down)", "moveCell(left)", "moveCell(up)", "openFocusedCell", "toggleReference", "open(null)", "open(null)"]);
    // the queue's keys do nothing there
    expect(press("a", "report")).toBeNull();
    expect(COMMANDS.find((c) => c.id === "view.report")?.label).toBe("Analysis…");
  });

  it("undo applies only when the label can undo; redo likewise", () => {
    const { calls, press } = fakeTarget("step-level");
    expect(press("u")).toBe("decide.undo");
    expect(press("ctrl+z")).toBe("decide.undo");
    expect(press("U")).toBeNull();
    expect(press("ctrl+shift+z")).toBeNull();
    expect(calls).toEqual(["undo", "undo"]);
  });

  it("navigation and view keys", () => {
    const { calls, press } = fakeTarget("step-level");
    for (const k of ["j", "ArrowDown", "k", "ArrowUp", "J", "space", "/", "r", "?", "R"]) press(k);
    expect(calls).toEqual(["move(1)", "move(1)", "move(-1)", "move(-1)", "nextUnreviewed", "nextUnreviewed", "focusSearch", "raw", "open(help)", "open(report)"]);
  });

  it("the tag picker: numbers toggle tags, 0 is the tenth, t closes", () => {
    const { calls, press } = fakeTarget("step-level");
    press("t");
    press("2", "tags");
    press("0", "tags");
    press("t", "tags");
    expect(calls).toEqual(["open(tags)", "tag(2)", "tag(10)", "open(null)"]);
  });

  it("typing in a field runs nothing but the field commands", () => {
    const { calls, press } = fakeTarget("step-level");
    expect(press("a", "main", true)).toBeNull();
    expect(press("j", "main", true)).toBeNull();
    expect(press("Escape", "main", true)).toBe("nav.escape");
    expect(press("ctrl+Enter", "note", true)).toBe("note.save");
    expect(press("Escape", "note", true)).toBe("note.cancel");
    expect(calls).toEqual(["saveNote", "open(null)"]);
  });

  it("shift+I opens the import dialog, with or without a sample; Esc closes it from its fields", () => {
    const { calls, press } = fakeTarget(null, { evaluatorVerdict: () => null });
    expect(press("I")).toBe("import.open");
    expect(press("i", "import", true)).toBeNull();
    expect(press("j", "import")).toBeNull();
    expect(press("Escape", "import", true)).toBe("import.close");
    expect(calls).toEqual(["open(import)", "open(null)"]);
  });

  it("shift+E opens the export dialog and shift+G the agreement view; Esc closes each from its fields", () => {
    const { press, calls } = fakeTarget(null);
    expect(press("E")).toBe("export.open");
    expect(press("e", "export", true)).toBeNull();
    expect(press("Escape", "export", true)).toBe("export.close");
    expect(press("G")).toBe("agreement.open");
    expect(press("j", "agreement")).toBeNull();
    expect(press("Escape", "agreement", true)).toBe("agreement.close");
    expect(calls).toEqual(["open(export)", "open(null)", "open(agreement)", "open(null)"]);
  });

  it("the model: m toggles the panel, M judges the open sample, C cancels only a running job", () => {
    const { calls, press } = fakeTarget("pairwise");
    press("m");
    press("M");
    expect(press("C")).toBeNull();
    expect(calls).toEqual(["models", "judgeSample"]);
    const running = fakeTarget("pairwise", { jobRunning: () => true });
    expect(running.press("M")).toBeNull();
    expect(running.press("C")).toBe("model.cancel");
    expect(running.calls).toEqual(["cancelJob"]);
    expect(fakeTarget(null).press("M")).toBeNull();
  });

  it("without an open sample, decisions do nothing", () => {
    const { calls, press } = fakeTarget(null, { evaluatorVerdict: () => null });
    for (const k of ["a", "Enter", "1", "n", "w", "e", "t"]) expect(press(k)).toBeNull();
    expect(calls).toEqual([]);
  });
});

describe("projects", () => {
  it("ctrl+o goes back to the start screen in the desktop app only", () => {
    const served = fakeTarget("step-level");
    expect(served.press("ctrl+o")).toBeNull();
    const desktop = fakeTarget("step-level", { canSwitchProject: () => true });
    expect(desktop.press("ctrl+o")).toBe("project.switch");
    expect(desktop.calls).toEqual(["switchProject"]);
  });
});

describe("picking samples to judge together", () => {
  it("s picks the open sample; S drops every pick only when some are picked", () => {
    const none = fakeTarget("step-level");
    expect(none.press("s")).toBe("pick.toggle");
    expect(none.press("S")).toBeNull();
    expect(none.calls).toEqual(["togglePicked"]);
    expect(fakeTarget(null).press("s")).toBeNull();
    const some = fakeTarget("step-level", { pickedCount: () => 2 });
    expect(some.press("S")).toBe("pick.clear");
    expect(some.calls).toEqual(["clearPicked"]);
  });
});

describe("menus", () => {
  it("come from the command table: every main-screen command once, grouped, in table order", () => {
    const m = menus();
    const ids = m.flatMap((g) => g.items.map((c) => c.id));
    const main = COMMANDS.filter((c) => c.context === "main" && c.id !== "nav.escape").map((c) => c.id);
    expect(ids.sort()).toEqual([...main].sort());
    expect(m.map((g) => g.group)).toContain("Decide");
    expect(m.find((g) => g.group === "Tags")?.items.map((c) => c.id)).toEqual(["tags.open"]);
  });
});
