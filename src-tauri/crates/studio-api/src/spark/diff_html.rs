//! The HTML form of `mission diff A B --format html`: one self-contained page (inline CSS, no
//! script, no external asset).

use super::mission_diff::{show, Change, MissionDiff};
use std::fmt::Write;

const STYLE: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#5d6678;--line:#e2e5ea;
--add:#e7f6ec;--add-ink:#17692f;--del:#fdecec;--del-ink:#a12424;--chg:#fff6e0;--chg-ink:#8a5a00}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1080px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:22px;margin:0 0 4px}
.sub{color:var(--muted);margin:0 0 20px}
.sides{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px;margin-bottom:18px}
.side{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.side .tag{display:inline-block;font-weight:700;font-size:12px;border-radius:6px;padding:1px 8px;margin-right:8px}
.side.a .tag{background:var(--del);color:var(--del-ink)}.side.b .tag{background:var(--add);color:var(--add-ink)}
.side .file{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;word-break:break-all}
.side .meta{color:var(--muted);font-size:13px;margin-top:4px}
.side .meta code{font-size:12px;word-break:break-all}
.summary{display:flex;gap:10px;flex-wrap:wrap;margin-bottom:22px}
.pill{border-radius:999px;padding:4px 12px;font-weight:600;font-size:13px;border:1px solid var(--line);background:var(--card)}
.pill.add{background:var(--add);color:var(--add-ink)}.pill.del{background:var(--del);color:var(--del-ink)}.pill.chg{background:var(--chg);color:var(--chg-ink)}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;margin-bottom:16px;overflow:hidden}
section h2{font-size:15px;text-transform:capitalize;margin:0;padding:10px 16px;border-bottom:1px solid var(--line);background:#fafbfc}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{text-align:left;padding:7px 16px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
tr:last-child td{border-bottom:0}
td code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;white-space:pre-wrap;word-break:break-word}
td.path{width:28%}
td.before{background:var(--del)}td.after{background:var(--add)}
td.before code{color:var(--del-ink)}td.after code{color:var(--add-ink)}
.absent{color:var(--muted);font-style:italic}
.step{padding:8px 16px;font-weight:600;border-bottom:1px solid var(--line);background:var(--chg);color:var(--chg-ink)}
ul.steps{list-style:none;margin:0;padding:0}
ul.steps li{padding:8px 16px;border-bottom:1px solid var(--line);font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
ul.steps li:last-child{border-bottom:0}
ul.steps.add li{background:var(--add);color:var(--add-ink)}ul.steps.del li{background:var(--del);color:var(--del-ink)}
.equal{background:var(--add);color:var(--add-ink);border-radius:10px;padding:14px 16px;font-weight:600}
"#;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn cell(class: &str, value: Option<&serde_json::Value>) -> String {
    match value {
        None => format!("<td class=\"{class}\"><span class=\"absent\">absent</span></td>"),
        Some(_) => format!(
            "<td class=\"{class}\"><code>{}</code></td>",
            esc(&show(value))
        ),
    }
}

fn table(out: &mut String, changes: &[Change]) {
    out.push_str(
        "<table><tr><th class=\"path\">field</th><th>before (A)</th><th>after (B)</th></tr>",
    );
    for c in changes {
        let _ = write!(
            out,
            "<tr><td class=\"path\"><code>{}</code></td>{}{}</tr>",
            esc(&c.path),
            cell("before", c.before.as_ref()),
            cell("after", c.after.as_ref())
        );
    }
    out.push_str("</table>");
}

/// The page.
pub fn render_html(diff: &MissionDiff) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Mission diff: {} vs {}</title><style>{STYLE}</style></head><body><main>",
        esc(&diff.a.name),
        esc(&diff.b.name)
    );
    let _ = write!(
        out,
        "<h1>Mission diff</h1><p class=\"sub\">{} difference(s); logic {}</p>",
        diff.count(),
        if diff.same_logic {
            "unchanged (same logic hash)"
        } else {
            "changed"
        }
    );
    out.push_str("<div class=\"sides\">");
    for (class, tag, side) in [("a", "A", &diff.a), ("b", "B", &diff.b)] {
        let _ = write!(
            out,
            "<div class=\"side {class}\"><span class=\"tag\">{tag}</span><span class=\"file\">{}</span>\
             <div class=\"meta\">{} · {} · {} step(s)<br><code>{}</code></div></div>",
            esc(&side.file),
            esc(&side.name),
            esc(&side.id),
            side.steps,
            esc(&side.logic_hash)
        );
    }
    out.push_str("</div>");
    let changed: usize = diff.steps_changed.len();
    let _ = write!(
        out,
        "<div class=\"summary\"><span class=\"pill add\">+{} step(s) added</span>\
         <span class=\"pill del\">−{} step(s) removed</span>\
         <span class=\"pill chg\">~{changed} step(s) changed</span>\
         <span class=\"pill\">{} section(s) changed</span></div>",
        diff.steps_added.len(),
        diff.steps_removed.len(),
        diff.sections.len()
    );
    if diff.equal {
        out.push_str("<div class=\"equal\">The missions are equal.</div>");
    }
    for (title, class, steps) in [
        ("Steps added", "add", &diff.steps_added),
        ("Steps removed", "del", &diff.steps_removed),
    ] {
        if steps.is_empty() {
            continue;
        }
        let _ = write!(out, "<section><h2>{title}</h2><ul class=\"steps {class}\">");
        for s in steps {
            let after = if s.depends_on.is_empty() {
                String::new()
            } else {
                format!(" — after {}", esc(&s.depends_on.join(", ")))
            };
            let _ = write!(
                out,
                "<li>{} <b>{}</b> ({}){after}</li>",
                if class == "add" { "+" } else { "−" },
                esc(&s.id),
                esc(&s.step_type)
            );
        }
        out.push_str("</ul></section>");
    }
    if !diff.steps_changed.is_empty() {
        out.push_str("<section><h2>Steps changed</h2>");
        for s in &diff.steps_changed {
            let _ = write!(out, "<div class=\"step\">~ {}</div>", esc(&s.id));
            table(&mut out, &s.changes);
        }
        out.push_str("</section>");
    }
    for section in &diff.sections {
        let _ = write!(
            out,
            "<section><h2>{}</h2>",
            esc(&section.section.replace('_', " "))
        );
        table(&mut out, &section.changes);
        out.push_str("</section>");
    }
    out.push_str("</main></body></html>\n");
    out
}
