// Saving a chart's file: in the desktop app the shell's `save_file` (the native save dialog,
// then the bytes written by Rust); in a browser a download through a temporary link.

/** Saves `bytes` under a suggested name; answers where (a path, or the name downloaded), or null when cancelled. */
export type SaveFile = (name: string, mime: string, bytes: Uint8Array) => Promise<string | null>;

/** A browser download of the bytes as `name`. */
export function downloadFile(name: string, mime: string, bytes: Uint8Array, doc: Document = document): Promise<string | null> {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }));
  const link = doc.createElement("a");
  link.href = url;
  link.download = name;
  link.rel = "noopener";
  link.style.display = "none";
  doc.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once it started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return Promise.resolve(name);
}

/** UTF-8 bytes of text (a CSV file). */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
