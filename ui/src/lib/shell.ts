// The desktop shell's own commands (src-tauri/src/lib.rs): which project is open, the recent
// list, the demo, the native file dialogs, and saving a chart's file. In a browser against
// `fare-lens serve` there is no shell: the server was started on one project, and
// `desktopShell()` answers null.
import { invoke } from "@tauri-apps/api/core";
import { ApiFailure, inTauri, invokeErrorMessage } from "./api/client";
import type { SessionView } from "./api/generated/SessionView";

type InvokeLike = (command: string, args?: Record<string, unknown>) => Promise<unknown>;

/** What the desktop app can do beyond the project API. */
export class DesktopShell {
  constructor(private readonly invokeFn: InvokeLike = (command, args) => invoke(command, args)) {}

  private async call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
    try {
      return (await this.invokeFn(command, args)) as T;
    } catch (e) {
      throw new ApiFailure(invokeErrorMessage(e), 0);
    }
  }

  session(): Promise<SessionView> {
    return this.call("session");
  }
  open(path: string): Promise<SessionView> {
    return this.call("open_project", { path });
  }
  create(path: string): Promise<SessionView> {
    return this.call("create_project", { path });
  }
  openDemo(): Promise<SessionView> {
    return this.call("open_demo");
  }
  forget(path: string): Promise<SessionView> {
    return this.call("forget_project", { path });
  }
  /** Records decisions under this name from now on. */
  setAnnotator(name: string): Promise<SessionView> {
    return this.call("set_annotator", { name });
  }
  /** The native open dialog for a project file; null when cancelled. */
  chooseProject(): Promise<string | null> {
    return this.call("choose_project");
  }
  /** The native save dialog naming a new project file; null when cancelled. */
  chooseNewProject(): Promise<string | null> {
    return this.call("choose_new_project");
  }
  /** The native open dialog for a data file to import; null when cancelled. */
  chooseDataFile(): Promise<string | null> {
    return this.call("choose_data_file");
  }
  /**
   * The native save dialog for an export, suggesting `name`; null when cancelled. The project
   * may then write the chosen file (the desktop app's imports and exports use only files its
   * dialogs gave, or typed paths inside the folders it was started with, `--data`).
   */
  chooseExportFile(name: string): Promise<string | null> {
    return this.call("choose_export_file", { name });
  }
  /** A link of the text, opened in the system's browser (web addresses only). */
  openLink(url: string): Promise<void> {
    return this.call("open_link", { url });
  }
  /** The native dialog to choose project files to merge (several at once); empty when cancelled. */
  chooseProjectFiles(): Promise<string[]> {
    return this.call("choose_project_files");
  }
  /**
   * The native save dialog suggesting `name`, then `bytes` written to the chosen file (a chart's
   * PNG or CSV); the path, or null when cancelled.
   */
  saveFile(name: string, bytes: Uint8Array): Promise<string | null> {
    return this.call("save_file", { name, bytes: Array.from(bytes) });
  }
}

/**
 * The address a click opens, when it is a click on a link of the text (`.md a[href]`): the
 * desktop window has no new windows, so the shell hands it to the browser instead.
 */
export function clickedLink(target: EventTarget | null): string | null {
  const link = (target as Element | null)?.closest?.(".md a[href]");
  const href = link?.getAttribute("href");
  return href && /^https?:\/\//i.test(href) ? href : null;
}

/** The shell when the UI runs inside the desktop app, else null. */
export function desktopShell(win: unknown = globalThis): DesktopShell | null {
  return inTauri(win) ? new DesktopShell() : null;
}

/** "3 minutes ago", "yesterday", or the date: when a recent project was opened. */
export function openedAgo(openedAtSeconds: number, nowMs: number = Date.now()): string {
  const seconds = Math.max(0, Math.round(nowMs / 1000 - openedAtSeconds));
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return "yesterday";
  if (days < 14) return `${days} days ago`;
  return new Date(openedAtSeconds * 1000).toISOString().slice(0, 10);
}
