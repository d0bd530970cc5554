import { describe, expect, it } from "vitest";
import { csvField, fileSlug, toCsv } from "./csv";

describe("CSV", () => {
  it("quotes fields with commas, quotes and line breaks, doubling inner quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    expect(csvField(" padded ")).toBe('" padded "');
  });

  it("writes numbers as the report holds them, empty for missing or undefined numbers", () => {
    expect(csvField(0.5714285714285714)).toBe("0.5714285714285714");
    expect(csvField(-1)).toBe("-1");
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(Number.NaN)).toBe("");
    expect(csvField(true)).toBe("true");
  });

  it("keeps a spreadsheet from running text as a formula, but leaves numbers in text alone", () => {
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("@cmd")).toBe("'@cmd");
    expect(csvField("+x,y")).toBe(`"'+x,y"`);
    expect(csvField("-1")).toBe("-1");
    expect(csvField("-data")).toBe("'-data");
  });

  it("joins rows with CRLF and ends with one", () => {
    const text = toCsv({ header: ["metric", "value"], rows: [["f1", 0.5], ["name, with comma", null]] });
    expect(text).toBe('metric,value\r\nf1,0.5\r\n"name, with comma",\r\n');
  });

  it("makes file names from words", () => {
    expect(fileSlug("step-level", "ProcessBench GSM8K", null, "first-error-grid")).toBe("step-level-processbench-gsm8k-first-error-grid");
    expect(fileSlug("", "../../etc/passwd")).toBe("etc-passwd");
    expect(fileSlug()).toBe("chart");
  });
});
