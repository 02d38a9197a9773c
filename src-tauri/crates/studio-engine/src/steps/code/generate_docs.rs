//! `generate_docs`: a Markdown API summary of a source file or folder, from the same
//! tree-sitter parse as `extract_functions` (see `sources.rs` for `path`, `language` and
//! `pattern`).
//!
//! Parameters: `path` (alias `source`), `language`, `pattern`, `include_private` (default
//! false: public functions only), `output_file` (aliases `output`, `output_path`: a workspace
//! file the Markdown is written to), `title` (default `API reference`).
//!
//! The document: the title, then per file (`## \`path\``) each function as `### \`Type::name\``
//! with its signature in a fenced code block and its doc comment below. Output: `{markdown,
//! functions, files, undocumented, output_file}`; the file written is the step's artifact.

use super::sources::{parse, Parsed};
use crate::steps::params::{opt_bool, opt_str};
use crate::steps::workspace::{check, display, io_failure, refuse_escaping_link, with_dir};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let include_private = opt_bool(&p, "include_private")?.unwrap_or(false);
    let title = opt_str(&p, "title")?.unwrap_or("API reference").to_string();
    let output_file = ["output_file", "output", "output_path"]
        .iter()
        .find_map(|n| opt_str(&p, n).transpose())
        .transpose()?
        .map(check)
        .transpose()?;
    let parsed = parse(&p, ctx).await?;
    let doc = render(&parsed, &title, include_private);

    let mut out = StepOutput::new(Value::Null);
    let written = match output_file {
        Some(path) => {
            let shown = display(&path);
            let bytes = doc.markdown.clone().into_bytes();
            with_dir(ctx, move |dir| {
                refuse_escaping_link(dir, &path)?;
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    dir.create_dir_all(parent)
                        .map_err(|e| io_failure("create the folder", parent, e))?;
                }
                dir.write(&path, &bytes)
                    .map_err(|e| io_failure("write", &path, e))
            })
            .await?;
            out = out.with_artifact(shown.clone());
            Some(shown)
        }
        None => None,
    };
    out.value = json!({
        "markdown": doc.markdown,
        "functions": doc.functions,
        "files": doc.files,
        "undocumented": doc.undocumented,
        "output_file": written,
    });
    Ok(out)
}

struct Document {
    markdown: String,
    functions: usize,
    files: usize,
    undocumented: Vec<String>,
}

fn render(parsed: &[Parsed], title: &str, include_private: bool) -> Document {
    let mut md = format!("# {title}\n");
    let (mut functions, mut files) = (0, 0);
    let mut undocumented = Vec::new();
    for file in parsed {
        let listed: Vec<&studio_syntax::Function> = file
            .outline
            .functions
            .iter()
            .filter(|f| include_private || f.public)
            .collect();
        if listed.is_empty() {
            continue;
        }
        files += 1;
        md.push_str(&format!("\n## `{}`\n", file.file));
        for f in listed {
            functions += 1;
            let name = f.qualified_name(file.language);
            md.push_str(&format!(
                "\n### `{name}`\n\n```{}\n{}\n```\n",
                file.language.name(),
                f.signature
            ));
            match &f.doc {
                Some(doc) => md.push_str(&format!("\n{doc}\n")),
                None => undocumented.push(format!("{}: {name}", file.file)),
            }
        }
    }
    if functions == 0 {
        let which = if include_private { "" } else { "public " };
        md.push_str(&format!("\nNo {which}functions found.\n"));
    }
    Document {
        markdown: md,
        functions,
        files,
        undocumented,
    }
}
