import { fieldRows } from "./fields";

const rows = (v: unknown) => fieldRows(v).map((r) => `${"  ".repeat(r.depth)}${r.key ?? ""}${r.key !== null && r.value !== null ? ": " : ""}${r.value ?? ""}`);

describe("parameters as fields", () => {
  it("renders keys and values, nested values indented under their key", () => {
    expect(
      rows({ url: "https://api.example/orders", method: "POST", headers: { Accept: "application/json" }, retries: 2, dry: false, note: null }),
    ).toEqual([
      "url: https://api.example/orders",
      "method: POST",
      "headers",
      "  Accept: application/json",
      "retries: 2",
      "dry: false",
      "note: null",
    ]);
  });

  it("numbers list items and indents their members", () => {
    expect(rows({ messages: [{ role: "user", content: "Hi" }, "plain"] })).toEqual([
      "messages",
      "  1",
      "    role: user",
      "    content: Hi",
      "  2: plain",
    ]);
  });

  it("shows strings as they are: no quotes, no escapes, long text whole", () => {
    const long = "Line one with \"quotes\"\nline two " + "x".repeat(500);
    const r = fieldRows({ prompt: long });
    expect(r).toEqual([{ depth: 0, key: "prompt", value: long, kind: "string" }]);
  });

  it("reads a JSON object written as text (a request body) as fields, not escaped JSON", () => {
    expect(rows({ body: '{"qty": 1, "items": ["a"]}' })).toEqual(["body", "  qty: 1", "  items", "    1: a"]);
    // Text that only looks like JSON stays text.
    expect(rows({ body: "{not json}" })).toEqual(["body: {not json}"]);
  });

  it("says when an object or a list is empty, and summarises a huge value", () => {
    expect(rows({ env: {}, args: [] })).toEqual(["env: (empty)", "args: (empty list)"]);
    const big = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const r = fieldRows(big, 10);
    expect(r).toHaveLength(11);
    expect(r[10]?.value).toBe("… 40 more values");
  });
});
