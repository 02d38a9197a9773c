// Viewers of evidence files. Everything from a file is shown as text: markdown is rendered with raw
// HTML dropped, links and remote images never loaded.
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import type { EvidenceFile } from "../../ipc";

export function MarkdownView({ text }: { text: string }) {
  return (
    <div className="hx-md" data-testid="viewer-markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        skipHtml
        components={{
          a: ({ children, href }) => (
            <span className="hx-md-link" title={href}>
              {children}
            </span>
          ),
          img: ({ alt, src }) => (
            <span className="hx-md-img" title={typeof src === "string" ? src : undefined}>
              [image: {alt || "untitled"}]
            </span>
          ),
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}

/** Pretty JSON; text that does not parse (e.g. a cut file) is shown as it is. */
export function JsonView({ text }: { text: string }) {
  let pretty: string | null = null;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    pretty = null;
  }
  if (pretty === null) {
    return (
      <>
        <p className="hx-viewer-note">This JSON does not parse; shown as text.</p>
        <TextView text={text} />
      </>
    );
  }
  return <TextView text={pretty} testId="viewer-json" />;
}

/** Splits CSV text into rows (RFC 4180 quotes, `,` or tab). */
export function parseCsv(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const CSV_ROW_LIMIT = 2000;

export function CsvView({ text, tsv = false }: { text: string; tsv?: boolean }) {
  const rows = parseCsv(text, tsv ? "\t" : ",");
  if (rows.length === 0) return <p className="hx-viewer-note">Empty file.</p>;
  const [head = [], ...body] = rows;
  const shown = body.slice(0, CSV_ROW_LIMIT);
  return (
    <div className="hx-csv-wrap" data-testid="viewer-csv">
      <table className="hx-csv">
        <thead>
          <tr>
            <th className="hx-gutter">#</th>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={i}>
              <td className="hx-gutter">{i + 1}</td>
              {head.map((_, j) => (
                <td key={j}>{r[j] ?? ""}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {body.length > shown.length ? (
        <p className="hx-viewer-note">
          Showing {shown.length.toLocaleString()} of {body.length.toLocaleString()} rows.
        </p>
      ) : null}
    </div>
  );
}

export function TextView({ text, testId = "viewer-text" }: { text: string; testId?: string }) {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return (
    <div className="hx-code" data-testid={testId} style={{ ["--gutter-ch" as string]: String(String(lines.length).length + 1) }}>
      {lines.map((line, i) => (
        <div className="hx-code-line" key={i}>
          <span className="hx-code-no" aria-hidden>
            {i + 1}
          </span>
          <span className="hx-code-text">{line || " "}</span>
        </div>
      ))}
    </div>
  );
}

export function ImageView({ file }: { file: EvidenceFile }) {
  if (!file.base64) return <p className="hx-viewer-note">This image is too large to show here; open the folder to see it.</p>;
  return (
    <div className="hx-image" data-testid="viewer-image">
      <img src={`data:${file.mime};base64,${file.base64}`} alt={file.path} />
    </div>
  );
}

/** The viewer for a file's kind; `raw` shows markdown, JSON and CSV as numbered text. */
export function FileViewer({ file, raw = false }: { file: EvidenceFile; raw?: boolean }) {
  if (file.kind === "image") return <ImageView file={file} />;
  if (file.kind === "binary" || file.text === null) {
    return (
      <p className="hx-viewer-note" data-testid="viewer-binary">
        A binary file ({file.mime}); open the folder to inspect it.
      </p>
    );
  }
  if (raw) return <TextView text={file.text} />;
  switch (file.kind) {
    case "markdown":
      return <MarkdownView text={file.text} />;
    case "json":
      return <JsonView text={file.text} />;
    case "csv":
      return <CsvView text={file.text} tsv={file.mime.includes("tab-separated")} />;
    default:
      return <TextView text={file.text} />;
  }
}
