/**
 * The little markdown the language server's hovers use, as HTML: fenced code blocks, inline
 * code, bold, and paragraphs. Everything else is text, escaped.
 */

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
    .replace(/\*([^*]+)\*/g, "<i>$1</i>");
}

/** `markdown` as HTML. */
export function markdownToHtml(markdown: string): string {
  const html: string[] = [];
  const parts = markdown.split(/^```[a-z]*\n?/m);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      html.push(`<pre>${escapeHtml(part.replace(/\n$/, ""))}</pre>`);
      return;
    }
    for (const paragraph of part.split(/\n\s*\n/)) {
      if (paragraph.trim() === "") continue;
      if (/^---+$/.test(paragraph.trim())) html.push("<hr>");
      else html.push(`<p>${paragraph.split("\n").map(inline).join("<br>")}</p>`);
    }
  });
  return html.join("");
}
