// The mission text in CodeMirror 6: YAML, the basic setup (undo/redo, find with Ctrl-F, the
// usual keys), Rust's diagnostics as lint marks, themed with the app's colour tokens.
import { yaml } from "@codemirror/lang-yaml";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { basicSetup } from "codemirror";
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";
import type { PlacedDiagnostic } from "./logic";

export interface CodeEditorHandle {
  /** Replaces the whole text as one edit (undo brings the old text back). */
  replaceText: (text: string) => void;
  /** Shows diagnostics computed for `text`; ignored when the text has changed since. */
  showDiagnostics: (text: string, diagnostics: PlacedDiagnostic[]) => boolean;
  /** Puts the cursor at a line and column (from 1) and focuses the editor. */
  goTo: (line: number, column: number) => void;
  focus: () => void;
}

const theme = EditorView.theme({
  "&": {
    height: "100%",
    fontSize: "13px",
    backgroundColor: "var(--bg-elev)",
    color: "var(--text)",
  },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.6" },
  ".cm-content": { caretColor: "var(--accent)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--accent)" },
  ".cm-gutters": {
    backgroundColor: "var(--bg)",
    color: "var(--text-3)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--accent) 6%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--accent) 10%, transparent)", color: "var(--text)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "color-mix(in srgb, var(--accent) 26%, transparent) !important",
  },
  ".cm-panels": { backgroundColor: "var(--bg-sidebar)", color: "var(--text)" },
  ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--border)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
  ".cm-panel input, .cm-panel button, .cm-textfield": {
    font: "inherit",
    fontSize: "12px",
    color: "var(--text)",
    backgroundColor: "var(--bg-elev)",
    border: "1px solid var(--border)",
    borderRadius: "5px",
  },
  ".cm-button": { backgroundImage: "none" },
  ".cm-searchMatch": { backgroundColor: "color-mix(in srgb, var(--accent-2) 30%, transparent)" },
  ".cm-searchMatch.cm-searchMatch-selected": { backgroundColor: "color-mix(in srgb, var(--accent) 40%, transparent)" },
  ".cm-tooltip": {
    backgroundColor: "var(--bg-elev)",
    color: "var(--text)",
    border: "1px solid var(--border-strong)",
    borderRadius: "7px",
    boxShadow: "var(--shadow)",
  },
  ".cm-diagnostic": { whiteSpace: "pre-wrap", fontFamily: "var(--font-sans)", fontSize: "12.5px" },
  ".cm-foldPlaceholder": { backgroundColor: "var(--bg-hover)", border: "none", color: "var(--text-2)" },
});

const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: "var(--accent-text)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--cm-string, #1a7f5a)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--cm-number, #b45309)" },
  { tag: [tags.comment, tags.lineComment], color: "var(--text-3)", fontStyle: "italic" },
  { tag: [tags.keyword, tags.typeName, tags.labelName], color: "var(--accent-2)" },
  { tag: [tags.punctuation, tags.separator, tags.squareBracket, tags.brace], color: "var(--text-2)" },
  { tag: tags.meta, color: "var(--text-3)" },
]);

export const CodeEditor = forwardRef<
  CodeEditorHandle,
  { initialText: string; onChange: (text: string) => void; ariaLabel?: string }
>(function CodeEditor({ initialText, onChange, ariaLabel = "Mission text" }, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  useEffect(() => {
    onChangeRef.current = onChange;
  });

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initialText,
        extensions: [
          basicSetup,
          yaml(),
          syntaxHighlighting(highlight),
          lintGutter(),
          theme,
          EditorView.lineWrapping,
          // Room below the cursor's line when typing at the bottom of the view.
          EditorView.scrollMargins.of(() => ({ top: 8, bottom: 48 })),
          EditorView.contentAttributes.of({ "aria-label": ariaLabel, "data-testid": "editor-text" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) onChangeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The text is the editor's own from then on; a new one comes through replaceText.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useImperativeHandle(ref, () => ({
    replaceText(text) {
      const v = view.current;
      if (!v) return;
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text }, selection: { anchor: 0 }, scrollIntoView: true });
    },
    showDiagnostics(text, diagnostics) {
      const v = view.current;
      if (!v || v.state.doc.toString() !== text) return false;
      v.dispatch(setDiagnostics(v.state, diagnostics));
      return true;
    },
    goTo(line, column) {
      const v = view.current;
      if (!v) return;
      const l = v.state.doc.line(Math.min(Math.max(1, line), v.state.doc.lines));
      const pos = Math.min(l.from + Math.max(0, column - 1), l.to);
      v.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      v.focus();
    },
    focus() {
      view.current?.focus();
    },
  }));

  return <div ref={host} className="code-editor" data-testid="code-editor" />;
});
