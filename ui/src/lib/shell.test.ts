import { describe, expect, it } from "vitest";
import { ApiFailure } from "./api/client";
import { DesktopShell, clickedLink, desktopShell, openedAgo } from "./shell";

describe("desktop shell", () => {
  it("exists only inside the desktop app", () => {
    expect(desktopShell({})).toBeNull();
    expect(desktopShell({ __TAURI_INTERNALS__: {} })).toBeInstanceOf(DesktopShell);
  });

  it("calls the shell's commands by their Rust names, with the path as `path`", async () => {
    const calls: unknown[] = [];
    const shell = new DesktopShell(async (command, args) => {
      calls.push([command, args]);
      return command === "choose_project" ? null : { project: null, recent: [], annotator: "ana" };
    });
    await shell.open("/data/p.sqlite");
    await shell.create("/data/new.sqlite");
    await shell.openDemo();
    expect(await shell.chooseProject()).toBeNull();
    expect(calls).toEqual([
      ["open_project", { path: "/data/p.sqlite" }],
      ["create_project", { path: "/data/new.sqlite" }],
      ["open_demo", undefined],
      ["choose_project", undefined],
    ]);
  });

  it("saves a chart's bytes through save_file, as a list of numbers Rust reads as Vec<u8>", async () => {
    const calls: unknown[] = [];
    const shell = new DesktopShell(async (command, args) => {
      calls.push([command, args]);
      return "/data/charts/chart.csv";
    });
    expect(await shell.saveFile("chart.csv", new Uint8Array([97, 44, 98]))).toBe("/data/charts/chart.csv");
    expect(calls).toEqual([["save_file", { name: "chart.csv", bytes: [97, 44, 98] }]]);
  });

  it("gives the shell's error message", async () => {
    const shell = new DesktopShell(async () => {
      throw { message: "x.sqlite: not a FARE Lens project (file is not a database)" };
    });
    const err = await shell.open("x.sqlite").catch((e) => e);
    expect(err).toBeInstanceOf(ApiFailure);
    expect(err.message).toContain("not a FARE Lens project");
  });
});

describe("openedAgo", () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  const at = (secondsBefore: number) => now / 1000 - secondsBefore;
  it("says how long ago in words", () => {
    expect(openedAgo(at(5), now)).toBe("just now");
    expect(openedAgo(at(60), now)).toBe("1 minute ago");
    expect(openedAgo(at(7200), now)).toBe("2 hours ago");
    expect(openedAgo(at(86400 * 1.2), now)).toBe("yesterday");
    expect(openedAgo(at(86400 * 5), now)).toBe("5 days ago");
    expect(openedAgo(at(86400 * 40), now)).toBe("2026-10-17");
  });
});

describe("clickedLink", () => {
  it("is the web address of a link in the text, and nothing else", () => {
    const box = document.createElement("div");
    box.innerHTML = `<div class="md"><p><a href="https://example.org/p"><b>paper</b></a> <a href="javascript:x()">js</a></p></div><a href="https://example.org/app">app's own</a>`;
    const [paper, js, own] = [...box.querySelectorAll("a")];
    expect(clickedLink(paper.querySelector("b"))).toBe("https://example.org/p");
    expect(clickedLink(js)).toBeNull();
    expect(clickedLink(own)).toBeNull();
    expect(clickedLink(null)).toBeNull();
  });
});
