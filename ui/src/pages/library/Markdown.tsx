// Mission text rendered as Markdown. Raw HTML is dropped, never interpreted; links open nothing.
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";

export function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        skipHtml
        components={{
          a: ({ children, href }) => (
            <span className="md-link" title={href}>
              {children}
            </span>
          ),
          img: ({ alt }) => <span className="md-img">[{alt ?? "image"}]</span>,
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
